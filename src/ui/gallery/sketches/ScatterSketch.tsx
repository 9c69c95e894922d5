import type { PromptSketch } from '../../../tasks/types';
import { linearScale, SKETCH_H, SKETCH_W } from './scale';

type Scatter = Extract<PromptSketch, { kind: 'scatter' }>;

/** One prompt as points: x = a 1-D summary of the input, y = the label; outliers hollow. */
export function ScatterSketch({ sketch }: { sketch: Scatter }) {
  const m = 8;
  const sx = linearScale(
    sketch.points.map((p) => p.x),
    m,
    SKETCH_W - m,
  );
  const sy = linearScale(
    sketch.points.map((p) => p.y),
    SKETCH_H - m,
    m,
  );
  return (
    <g>
      <line className="axis" x1={m} x2={SKETCH_W - m} y1={SKETCH_H - m / 2} y2={SKETCH_H - m / 2} />
      <line className="axis" x1={m / 2} x2={m / 2} y1={m} y2={SKETCH_H - m / 2} />
      {sketch.points.map((p, i) => (
        <circle
          // biome-ignore lint/suspicious/noArrayIndexKey: points are positional
          key={i}
          className={p.outlier ? 'dot outlier' : 'dot'}
          cx={sx(p.x)}
          cy={sy(p.y)}
          r={sketch.points.length > 150 ? 1.6 : 2.4}
        />
      ))}
    </g>
  );
}
