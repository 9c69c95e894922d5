import type { ReactNode } from 'react';
import { isHidden, type PanelKey } from '../app/share/classroom';
import { useShare } from '../app/share/share';

/** Its children, unless a classroom link hides this panel (then nothing is rendered). */
export function Shown({ panel, children }: { panel: PanelKey; children: ReactNode }) {
  const hidden = useShare((s) => isHidden(s.classroom, panel));
  return hidden ? null : children;
}
