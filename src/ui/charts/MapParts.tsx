import { type HeatmapColors, rampGradient } from './heatmap-pixels';
import {
  formatValue,
  ROLE_NAMES,
  rolesOf,
  type TokenLabel,
  tickPositions,
  type ValueRange,
} from './map-axes';
import './maps.css';

/** An axis of a map: the kind of each token as a coloured strip, and sparse text ticks. */
export interface AxisSpec {
  /** what a position on this axis is, for the read-out ("attending token", "channel", ...) */
  name: string;
  /** token labels (null: positions numbered from `from`) */
  labels: readonly TokenLabel[] | null;
  /** the first position's number when unlabelled (default 1) */
  from?: number;
  /** the axis title under / beside it */
  title?: string;
}

const LEFT = 34;
const BOTTOM = 24;
const STRIP = 4;

/** Ticks and the token-kind strip along one side of a map (decoration: the read-out says it in words). */
export function MapAxis({
  axis,
  n,
  length,
  side,
}: {
  axis: AxisSpec;
  n: number;
  /** CSS pixels along the axis */
  length: number;
  side: 'left' | 'bottom';
}) {
  const cell = n > 0 ? length / n : 0;
  const queries = axis.labels ? axis.labels.flatMap((l, i) => (l.role === 'query' ? [i] : [])) : [];
  const ticks = tickPositions(n, cell, side === 'left' ? 11 : 22, queries);
  const text = (i: number) => axis.labels?.[i]?.short ?? `${i + (axis.from ?? 1)}`;
  if (side === 'left') {
    return (
      <svg className="map-axis" width={LEFT} height={length} aria-hidden="true">
        {axis.labels?.map((l, i) => (
          <rect
            // biome-ignore lint/suspicious/noArrayIndexKey: positions are the identity
            key={i}
            className={`role-${l.role}`}
            x={LEFT - STRIP}
            y={i * cell}
            width={STRIP}
            height={Math.max(cell, 0.5)}
          />
        ))}
        {ticks.map((i) => (
          <text key={i} x={LEFT - STRIP - 2} y={(i + 0.5) * cell} textAnchor="end" dominantBaseline="middle">
            {text(i)}
          </text>
        ))}
      </svg>
    );
  }
  return (
    <svg className="map-axis" width={length} height={BOTTOM} aria-hidden="true">
      {axis.labels?.map((l, i) => (
        <rect
          // biome-ignore lint/suspicious/noArrayIndexKey: positions are the identity
          key={i}
          className={`role-${l.role}`}
          x={i * cell}
          y={0}
          width={Math.max(cell, 0.5)}
          height={STRIP}
        />
      ))}
      {ticks.map((i) => (
        <text key={i} x={(i + 0.5) * cell} y={STRIP + 11} textAnchor="middle">
          {text(i)}
        </text>
      ))}
    </svg>
  );
}

export const AXIS_LEFT = LEFT;
export const AXIS_BOTTOM = BOTTOM;

/** The colour scale of a map: the ramp with its value range, and what the colours mean. */
export function MapLegend({
  range,
  colors,
  diverging,
  note,
}: {
  range: ValueRange;
  colors: HeatmapColors;
  diverging: boolean;
  note?: string;
}) {
  const top = diverging ? range.absMax : range.max;
  return (
    <div className="map-legend">
      <span className="map-legend-values">{diverging ? formatValue(-top) : '0'}</span>
      <span className="map-legend-bar" style={{ background: rampGradient(top, colors, diverging) }} />
      <span className="map-legend-values">{formatValue(top)}</span>
      {note && <span className="map-legend-note">{note}</span>}
    </div>
  );
}

/** What the coloured strips along the axes mean (the token kinds present). */
export function RoleLegend({ labels }: { labels: readonly TokenLabel[] | null }) {
  if (!labels || labels.length === 0) return null;
  return (
    <ul className="role-legend" aria-label="Token kinds along the axes">
      {rolesOf(labels).map((r) => (
        <li key={r}>
          <span className={`role-swatch role-${r}`} aria-hidden="true" />
          {ROLE_NAMES[r]}
        </li>
      ))}
    </ul>
  );
}
