import type { PromptSketch } from '../../../tasks/types';
import { SKETCH_H, SKETCH_W } from './scale';

type Bits = Extract<PromptSketch, { kind: 'bits' }>;

const MAX_ROWS = 7;

/** Parity-like prompts: each row a ±1 input (filled = +1) and its label; hidden subset outlined. */
export function BitsSketch({ sketch }: { sketch: Bits }) {
  const rows = sketch.rows.slice(0, MAX_ROWS);
  const nBits = Math.max(1, ...rows.map((r) => r.bits.length));
  const gap = 2;
  const cell = Math.min((SKETCH_H - 4) / MAX_ROWS - gap, (SKETCH_W - 40) / (nBits + 2) - gap);
  const step = cell + gap;
  const width = (nBits + 2) * step;
  const x0 = (SKETCH_W - width) / 2;
  const y0 = (SKETCH_H - rows.length * step) / 2;
  const hidden = new Set(sketch.highlight);
  return (
    <g>
      {[...hidden].map((j) => (
        <rect
          key={`h${j}`}
          className="bits-highlight"
          x={x0 + j * step - gap / 2}
          y={y0 - gap / 2}
          width={step}
          height={rows.length * step}
          rx={2}
        />
      ))}
      {rows.map((row, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
        <g key={r} transform={`translate(${x0} ${y0 + r * step})`}>
          {row.bits.map((b, j) => (
            <rect
              // biome-ignore lint/suspicious/noArrayIndexKey: bits are positional
              key={j}
              className={b > 0 ? 'bit on' : 'bit'}
              x={j * step}
              width={cell}
              height={cell}
              rx={1.5}
            />
          ))}
          <rect
            className={row.label > 0 ? 'bit label on' : 'bit label'}
            x={(nBits + 1) * step}
            width={cell}
            height={cell}
            rx={cell / 2}
          />
        </g>
      ))}
    </g>
  );
}
