/**
 * A progress line for long runs: rewritten in place on a terminal, printed at most every few
 * seconds otherwise (CI logs), with the rate and an ETA when the total is known.
 */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressLine {
  private lastPrint = 0;
  private lastLength = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs = 2000,
  ) {}

  /** Show `text` with the ETA from `done` of `total` units since `startedMs` (performance.now()). */
  update(text: string, done?: number, total?: number, startedMs?: number): void {
    const now = performance.now();
    let line = text;
    if (done !== undefined && total !== undefined && startedMs !== undefined && done > 0) {
      const elapsed = (now - startedMs) / 1000;
      line += ` · ${Math.round((100 * done) / total)}% · ETA ${formatDuration((elapsed * (total - done)) / done)}`;
    }
    if (this.sink.isTTY) {
      this.sink.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
    } else if (now - this.lastPrint >= this.intervalMs) {
      this.sink.write(`${line}\n`);
      this.lastPrint = now;
    }
  }

  /** Print `text` on lines of its own, leaving the progress line to be redrawn by the next update. */
  note(text: string): void {
    if (this.sink.isTTY && this.lastLength > 0) this.sink.write(`\r${''.padEnd(this.lastLength)}\r`);
    this.sink.write(`${text}\n`);
    this.lastLength = 0;
  }

  /** End the line with a final message. */
  done(text: string): void {
    if (this.sink.isTTY) this.sink.write(`\r${text.padEnd(this.lastLength)}\n`);
    else this.sink.write(`${text}\n`);
    this.lastLength = 0;
  }
}
