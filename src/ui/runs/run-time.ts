/** When a run was made, as the run list and the comparison show it ("12 Mar 2026, 15:42"). */
export const formatRunTime = (t: number) =>
  new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
