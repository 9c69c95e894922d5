import { useMemory } from '../../app';

/**
 * Settings too large for this device, said before Train (src/app/race/memory-guard.ts): how much
 * they need, the limit and where it comes from, and smaller settings to try. Train is refused
 * with the same reason.
 */
export function MemoryNote() {
  const verdict = useMemory((s) => s.verdict);
  if (!verdict || verdict.ok) return null;
  return (
    <div id="memory-note" className="alert memory-note" role="alert">
      <p>{verdict.message}</p>
      <p>{verdict.suggestion}</p>
    </div>
  );
}
