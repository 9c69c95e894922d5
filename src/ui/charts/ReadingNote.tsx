import type { ReactNode } from 'react';

/**
 * The "How to read this" note under a chart: what the axes are, what a good and a bad curve look
 * like, what to compare. Closed by default (one click or Enter opens it) unless `open`.
 */
export function ReadingNote({ children, open = false }: { children: ReactNode; open?: boolean }) {
  return (
    <details className="reading-note" open={open}>
      <summary>How to read this</summary>
      {children}
    </details>
  );
}
