import { type KeyboardEvent, type PointerEvent, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Theme } from '../theme';
import {
  bandPath,
  decimate,
  linearScale,
  linePath,
  logScale,
  nearestIndex,
  pointNear,
  unionXs,
} from './plot-geometry';

/** One line of a PlotChart, with its optional shaded band (drawn under every line). */
export interface PlotSeries {
  key: string;
  label: string;
  color: string;
  width: number;
  dash?: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number>; opacity: number };
  /** a dot at every point (a curve of one to three points) */
  dots?: boolean;
}

export interface PlotAxis {
  domain: readonly [number, number];
  ticks: readonly number[];
  label: string;
  format: (v: number) => string;
  log?: boolean;
}

export interface PlotMargin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** Room for the x axis's ticks under the plot, and the y axis's beside it (px). */
const X_AXIS_HEIGHT = 30;
const TICK = 6;

function useSize<T extends HTMLElement>(): [React.RefObject<T | null>, { width: number; height: number }] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const read = () => {
      const width = Math.floor(el.clientWidth);
      const height = Math.floor(el.clientHeight);
      setSize((s) => (s.width === width && s.height === height ? s : { width, height }));
    };
    read();
    if (typeof ResizeObserver !== 'function') return;
    const observer = new ResizeObserver(read);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

/**
 * A line chart drawn as one SVG of a few paths (the live loss and in-context charts): redrawn
 * once a second while models train, it costs the page a fraction of a millisecond of layout per
 * line instead of a charting library's store, selectors and reconciliation. Axes with the given
 * ticks, a dashed grid, bands under lines, an optional dashed reference level labelled beside the
 * plot, a legend (above, or beside it in the present layout) and a read-out of the values at the
 * nearest x under the pointer or, with the chart focused, the arrow keys.
 */
export function PlotChart({
  className,
  height,
  label,
  series,
  x,
  y,
  reference,
  legend,
  legendWidth = 420,
  margin,
  yAxisWidth = 60,
  theme,
  readoutTitle,
  formatValue,
}: {
  className: string;
  /** CSS height of the whole chart, legend included */
  height: string;
  /** the chart's accessible name */
  label: string;
  series: readonly PlotSeries[];
  x: PlotAxis;
  y: PlotAxis;
  reference?: { y: number; label: string; color: string };
  legend: 'top' | 'right';
  legendWidth?: number;
  margin: PlotMargin;
  yAxisWidth?: number;
  theme: Theme;
  readoutTitle: (x: number) => string;
  formatValue: (v: number) => string;
}) {
  const [area, size] = useSize<HTMLDivElement>();
  const clip = `plot-clip-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const left = margin.left + yAxisWidth;
  const right = Math.max(left + 1, size.width - margin.right);
  const top = margin.top;
  const bottom = Math.max(top + 1, size.height - margin.bottom - X_AXIS_HEIGHT);
  const geometry = useMemo(() => {
    const sx = linearScale(x.domain, [left, right]);
    const sy = (y.log ? logScale : linearScale)(y.domain, [bottom, top]);
    const shapes = series.map((s) => ({
      s,
      line: linePath(decimate(s.x, s.y, sx, sy)),
      band: s.band ? bandPath(s.x, s.band.lo, s.band.hi, sx, sy) : '',
    }));
    return { sx, sy, shapes, xs: unionXs(series.map((s) => s.x)) };
  }, [series, x.domain, y.domain, y.log, left, right, top, bottom]);
  const { sx, sy, shapes, xs } = geometry;
  const [active, setActive] = useState<number | null>(null);
  const shown = active === null || xs.length === 0 ? null : Math.min(active, xs.length - 1);
  const pointerAt = (e: PointerEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    if (px < left || px > right || py < top || py > bottom) return setActive(null);
    const v = x.domain[0] + ((px - left) / (right - left)) * (x.domain[1] - x.domain[0]);
    setActive(nearestIndex(xs, v));
  };
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    if (xs.length === 0) return;
    const at = shown ?? xs.length - 1;
    const next =
      e.key === 'ArrowLeft'
        ? Math.max(0, at - 1)
        : e.key === 'ArrowRight'
          ? Math.min(xs.length - 1, at + 1)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? xs.length - 1
              : e.key === 'Escape'
                ? null
                : undefined;
    if (next === undefined) return;
    e.preventDefault();
    setActive(next);
  };
  const readout =
    shown === null
      ? null
      : {
          x: xs[shown],
          rows: series
            .map((s) => ({ s, p: pointNear(s.x, s.y, xs[shown]) }))
            .filter((r): r is { s: PlotSeries; p: { x: number; y: number } } => r.p !== null),
        };
  const tick = { fill: theme.muted, fontSize: 12 };
  const inX = (v: number) => v >= x.domain[0] - 1e-9 && v <= x.domain[1] + 1e-9;
  const refY = reference ? sy(reference.y) : Number.NaN;
  const legendList = (
    <ul className="plot-legend" style={legend === 'right' ? { width: legendWidth } : undefined}>
      {series.map((s) => (
        <li className="plot-legend-item" key={s.key}>
          <svg width="16" height="10" aria-hidden="true">
            <line
              x1="0"
              y1="5"
              x2="16"
              y2="5"
              stroke={s.color}
              strokeWidth={Math.min(3, s.width)}
              strokeDasharray={s.dash}
            />
          </svg>
          <span className="plot-legend-text" style={{ color: theme.text }}>
            {s.label}
          </span>
        </li>
      ))}
    </ul>
  );
  return (
    <div className={`plot-chart legend-${legend} ${className}`} style={{ height }}>
      {legend === 'top' && legendList}
      <div className="plot-area" ref={area}>
        {size.width > 0 && size.height > 0 && (
          <svg
            className="plot-surface"
            // focusable, and the arrow keys move the read-out (as recharts' accessibility layer)
            role="application"
            aria-label={label}
            width={size.width}
            height={size.height}
            // biome-ignore lint/a11y/noNoninteractiveTabindex: an application region: the arrow keys move the read-out
            tabIndex={0}
            onPointerMove={pointerAt}
            onPointerLeave={() => setActive(null)}
            onKeyDown={onKey}
            onBlur={() => setActive(null)}
          >
            <defs>
              <clipPath id={clip}>
                <rect x={left} y={top} width={right - left} height={bottom - top} />
              </clipPath>
            </defs>
            <g className="plot-grid" stroke={theme.grid} strokeDasharray="2 4">
              {y.ticks.map((t) => (
                <line key={`y${t}`} x1={left} x2={right} y1={sy(t)} y2={sy(t)} />
              ))}
              {x.ticks.filter(inX).map((t) => (
                <line key={`x${t}`} x1={sx(t)} x2={sx(t)} y1={top} y2={bottom} />
              ))}
            </g>
            <g className="plot-axis plot-x-axis" stroke={theme.muted}>
              <line x1={left} x2={right} y1={bottom} y2={bottom} />
              {x.ticks.filter(inX).map((t) => (
                <g key={t}>
                  <line x1={sx(t)} x2={sx(t)} y1={bottom} y2={bottom + TICK} />
                  <text
                    className="plot-tick"
                    x={sx(t)}
                    y={bottom + TICK + 2}
                    dy="0.71em"
                    textAnchor="middle"
                    stroke="none"
                    {...tick}
                  >
                    {x.format(t)}
                  </text>
                </g>
              ))}
            </g>
            <g className="plot-axis plot-y-axis" stroke={theme.muted}>
              <line x1={left} x2={left} y1={top} y2={bottom} />
              {y.ticks.map((t) => (
                <g key={t}>
                  <line x1={left - TICK} x2={left} y1={sy(t)} y2={sy(t)} />
                  <text
                    className="plot-tick"
                    x={left - TICK - 2}
                    y={sy(t)}
                    dy="0.355em"
                    textAnchor="end"
                    stroke="none"
                    {...tick}
                  >
                    {y.format(t)}
                  </text>
                </g>
              ))}
            </g>
            <text
              className="plot-label"
              x={(left + right) / 2}
              y={size.height - 4}
              textAnchor="middle"
              fill={theme.text}
            >
              {x.label}
            </text>
            <text
              className="plot-label"
              transform={`translate(${margin.left + 14},${(top + bottom) / 2}) rotate(-90)`}
              textAnchor="middle"
              fill={theme.text}
            >
              {y.label}
            </text>
            <g clipPath={`url(#${clip})`}>
              {shapes.map(({ s, band }) =>
                band ? (
                  <path
                    key={`band:${s.key}`}
                    className="plot-band"
                    d={band}
                    fill={s.color}
                    fillOpacity={s.band?.opacity}
                    stroke="none"
                  />
                ) : null,
              )}
              {reference && Number.isFinite(refY) && (
                <line
                  className="plot-reference"
                  x1={left}
                  x2={right}
                  y1={refY}
                  y2={refY}
                  stroke={reference.color}
                  strokeDasharray="6 5"
                  strokeWidth={1.5}
                />
              )}
              {shapes.map(({ s, line }) => (
                <path
                  key={s.key}
                  className="plot-line"
                  d={line}
                  fill="none"
                  stroke={s.color}
                  strokeWidth={s.width}
                  strokeDasharray={s.dash}
                  strokeLinejoin="round"
                  strokeLinecap="round"
                />
              ))}
              {series.map((s) =>
                s.dots
                  ? Array.from({ length: Math.min(s.x.length, s.y.length) }, (_, i) => {
                      const cx = sx(s.x[i]);
                      const cy = sy(s.y[i]);
                      return Number.isFinite(cx) && Number.isFinite(cy) ? (
                        <circle
                          key={`${s.key}:${s.x[i]}`}
                          cx={cx}
                          cy={cy}
                          r={4}
                          fill={theme.dark ? '#1d232b' : '#ffffff'}
                          stroke={s.color}
                          strokeWidth={2}
                        />
                      ) : null;
                    })
                  : null,
              )}
            </g>
            {reference && Number.isFinite(refY) && (
              // inside the plot, right-aligned just above its line, with a halo of the background so
              // lines under it stay apart from it (outside, it ran into a legend placed beside the chart)
              <text
                className="plot-tick plot-reference-label"
                x={right - 4}
                y={refY}
                dy="-0.35em"
                textAnchor="end"
                fill={theme.muted}
                fontSize={12}
                stroke={theme.dark ? '#1d232b' : '#ffffff'}
                strokeWidth={3}
                paintOrder="stroke"
              >
                {reference.label}
              </text>
            )}
            {readout && (
              <g className="plot-cursor" pointerEvents="none">
                <line
                  x1={sx(readout.x)}
                  x2={sx(readout.x)}
                  y1={top}
                  y2={bottom}
                  stroke={theme.muted}
                  strokeWidth={1}
                />
                {readout.rows.map(({ s, p }) =>
                  Number.isFinite(sy(p.y)) && sy(p.y) >= top && sy(p.y) <= bottom ? (
                    <circle key={s.key} cx={sx(p.x)} cy={sy(p.y)} r={4} fill={s.color} />
                  ) : null,
                )}
              </g>
            )}
          </svg>
        )}
        {readout && (
          <div
            className="plot-readout"
            role="status"
            style={{
              // in the half of the plot away from the cursor, so it never hides the values read
              left: sx(readout.x) > (left + right) / 2 ? left + 4 : undefined,
              right: sx(readout.x) > (left + right) / 2 ? undefined : size.width - right + 4,
              top: top + 4,
              background: theme.dark ? '#1d232b' : '#ffffff',
              borderColor: theme.grid,
              color: theme.text,
            }}
          >
            <p className="plot-readout-title">{readoutTitle(readout.x)}</p>
            <ul>
              {readout.rows.map(({ s, p }) => (
                <li key={s.key} style={{ color: s.color }}>
                  {s.label} : {formatValue(p.y)}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
      {legend === 'right' && legendList}
    </div>
  );
}
