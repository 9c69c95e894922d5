import { memo, useMemo } from 'react';
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

/** One SVG path per token kind: the strip of `n` cells along a side (few DOM nodes for long prompts). */
function stripPaths(
  labels: readonly TokenLabel[],
  cell: number,
  side: 'left' | 'bottom',
  at: number,
): Array<[string, string]> {
  const paths = new Map<string, string[]>();
  const size = Math.max(cell, 0.5);
  labels.forEach((l, i) => {
    const d = paths.get(l.role) ?? [];
    const p = (i * cell).toFixed(2);
    const s = size.toFixed(2);
    d.push(side === 'left' ? `M${at} ${p}h${STRIP}v${s}h-${STRIP}z` : `M${p} ${at}h${s}v${STRIP}h-${s}z`);
    paths.set(l.role, d);
  });
  return [...paths].map(([role, d]) => [role, d.join('')]);
}

interface MapAxisProps {
  axis: AxisSpec;
  n: number;
  /** CSS pixels along the axis */
  length: number;
  side: 'left' | 'bottom';
}

/** Ticks and the token-kind strip along one side of a map (decoration: the read-out says it in words). */
export const MapAxis = memo(
  function MapAxis({ axis, n, length, side }: MapAxisProps) {
    const cell = n > 0 ? length / n : 0;
    const queries = axis.labels ? axis.labels.flatMap((l, i) => (l.role === 'query' ? [i] : [])) : [];
    const ticks = tickPositions(n, cell, side === 'left' ? 11 : 22, queries);
    const text = (i: number) => axis.labels?.[i]?.short ?? `${i + (axis.from ?? 1)}`;
    const strip = axis.labels
      ? stripPaths(axis.labels.slice(0, n), cell, side, side === 'left' ? LEFT - STRIP : 0)
      : [];
    const left = side === 'left';
    return (
      <svg
        className="map-axis"
        width={left ? LEFT : length}
        height={left ? length : BOTTOM}
        aria-hidden="true"
      >
        {strip.map(([role, d]) => (
          <path key={role} className={`role-${role}`} d={d} />
        ))}
        {ticks.map((i) =>
          left ? (
            <text
              key={i}
              x={LEFT - STRIP - 2}
              y={(i + 0.5) * cell}
              textAnchor="end"
              dominantBaseline="middle"
            >
              {text(i)}
            </text>
          ) : (
            <text key={i} x={(i + 0.5) * cell} y={STRIP + 11} textAnchor="middle">
              {text(i)}
            </text>
          ),
        )}
      </svg>
    );
  },
  // the axis objects are rebuilt on every probe; what they hold is what matters
  (a, b) =>
    a.n === b.n &&
    a.length === b.length &&
    a.side === b.side &&
    a.axis.labels === b.axis.labels &&
    a.axis.name === b.axis.name &&
    a.axis.from === b.axis.from,
);

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
  const roles = useMemo(() => (labels ? rolesOf(labels) : []), [labels]);
  if (roles.length === 0) return null;
  return (
    <ul className="role-legend" aria-label="Token kinds along the axes">
      {roles.map((r) => (
        <li key={r}>
          <span className={`role-swatch role-${r}`} aria-hidden="true" />
          {ROLE_NAMES[r]}
        </li>
      ))}
    </ul>
  );
}
