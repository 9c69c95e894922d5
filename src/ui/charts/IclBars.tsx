import './icl-bars.css';
import { usePresent } from '../../app/lesson/lesson-instance';
import type { IclCurveSet } from '../../eval/types';
import type { BarRow } from './curve-rows';
import { formatValue } from './map-axes';

const ROW = 26;
const LEFT = 176;
const RIGHT = 56;

/**
 * The in-context error of a task scored at one x only (vector MQAR: the query after every pair):
 * one horizontal bar per curve with its 5–95 % band, the trivial level as a dashed line. An SVG
 * with role "img" (the Export menu finds it like the other charts).
 */
export function IclBars({
  set,
  examples,
  bars,
  color,
  width = 440,
}: {
  set: IclCurveSet;
  examples: number;
  bars: BarRow[];
  color: (key: string) => string;
  width?: number;
}) {
  // the present layout (a class reads it from the back of the room): everything twice the size,
  // text included (the CSS sets it to 24 px there)
  const k = usePresent() ? 2 : 1;
  const [left, right] = [LEFT * k, RIGHT * k];
  width *= k;
  const top = Math.max(set.chance, ...bars.map((b) => b.hi ?? b.mean), 1e-12) * 1.05;
  const plot = width - left - right;
  const x = (v: number) => left + (Math.max(0, Math.min(v, top)) / top) * plot;
  const height = (22 + bars.length * ROW + 24) * k;
  const label = `${set.yLabel} after ${examples} in-context examples: ${bars
    .map((b) => `${b.label} ${formatValue(b.mean)}`)
    .join(', ')}`;
  return (
    <figure className="icl-bars">
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
      >
        <title>{label}</title>
        {bars.map((b, i) => {
          const y = (16 + i * ROW) * k;
          return (
            <g key={b.key}>
              <text x={left - 8 * k} y={y + 13 * k} textAnchor="end" className="icl-bars-label">
                {b.label}
              </text>
              <rect
                x={left}
                y={y + 3 * k}
                width={x(b.mean) - left}
                height={14 * k}
                fill={color(b.key)}
                rx={2}
              />
              {b.lo !== null && b.hi !== null && (
                <line x1={x(b.lo)} x2={x(b.hi)} y1={y + 10 * k} y2={y + 10 * k} className="icl-bars-band" />
              )}
              <text x={x(b.mean) + 4 * k} y={y + 13 * k} className="icl-bars-value">
                {formatValue(b.mean)}
              </text>
            </g>
          );
        })}
        <line
          x1={x(set.chance)}
          x2={x(set.chance)}
          y1={10 * k}
          y2={height - 20 * k}
          className="icl-bars-chance"
          strokeDasharray="6 5"
        />
        <text x={x(set.chance)} y={height - 6 * k} textAnchor="middle" className="icl-bars-value">
          {set.metric === 'squared-error'
            ? `predict 0 (${formatValue(set.chance)})`
            : `chance (${formatValue(set.chance)})`}
        </text>
      </svg>
      <figcaption>
        {set.yLabel} at the query, after {examples} in-context examples (one x: a bar per curve; the thin line
        is the 5–95 % range)
      </figcaption>
    </figure>
  );
}
