import type { PromptSketch } from '../../../tasks/types';
import { SKETCH_H, SKETCH_W, signedCellClass } from './scale';

type Pairs = Extract<PromptSketch, { kind: 'pairs' }>;

const MAX_PAIRS = 6;

/** Recall prompts: key | value rows (as heat strips, or token ids), then the query; the answer marked. */
export function PairsSketch({ sketch }: { sketch: Pairs }) {
  const shown = pickPairs(sketch.pairs.length, sketch.answerIndex);
  const rows = shown.length + 1;
  const step = Math.min(12, (SKETCH_H - 6) / (rows + 0.5));
  const cell = step - 2;
  const tokens = (sketch.pairs[0]?.key.length ?? 0) <= 1;
  const dim = Math.max(1, sketch.pairs[0]?.key.length ?? 1, sketch.pairs[0]?.value.length ?? 1);
  const stripW = tokens ? 30 : Math.min(80, (SKETCH_W - 40) / 2);
  const cw = stripW / dim;
  const xKey = (SKETCH_W - 2 * stripW - 12) / 2;
  const xVal = xKey + stripW + 12;
  const strip = (v: number[], x: number, y: number, cls: string) =>
    tokens ? (
      <text className={`token ${cls}`} x={x + stripW / 2} y={y + cell - 1} textAnchor="middle">
        {v[0]}
      </text>
    ) : (
      v.map((value, j) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
        <rect key={j} className={signedCellClass(value, 1)} x={x + j * cw} y={y} width={cw} height={cell} />
      ))
    );
  return (
    <g>
      {shown.map((index, r) => {
        const y = 3 + r * step;
        const answer = index === sketch.answerIndex;
        const pair = sketch.pairs[index];
        return (
          <g key={index}>
            {answer && (
              <rect
                className="answer"
                x={xKey - 3}
                y={y - 1.5}
                width={2 * stripW + 18}
                height={cell + 3}
                rx={2}
              />
            )}
            {strip(pair.key, xKey, y, 'key')}
            {strip(pair.value, xVal, y, 'value')}
          </g>
        );
      })}
      <g>
        <text className="sketch-label" x={xKey - 5} y={3 + (rows - 0.5) * step + cell - 1} textAnchor="end">
          q
        </text>
        {strip(sketch.query, xKey, 3 + (rows - 0.5) * step, 'query')}
      </g>
    </g>
  );
}

/** A few pairs to draw, always including the answer. */
function pickPairs(n: number, answer: number): number[] {
  const take = Math.min(n, MAX_PAIRS);
  const picked = Array.from({ length: take }, (_, i) => i);
  if (answer >= take && answer < n) picked[take - 1] = answer;
  return picked;
}
