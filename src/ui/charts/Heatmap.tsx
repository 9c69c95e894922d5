import {
  type KeyboardEvent,
  memo,
  type PointerEvent,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
} from 'react';
import { type Theme, useTheme } from '../theme';
import { type HeatmapColors, heatmapPixels, hexRgb, sameMatrix } from './heatmap-pixels';
import { AXIS_BOTTOM, AXIS_LEFT, type AxisSpec, MapAxis, MapLegend } from './MapParts';
import {
  type Cursor,
  cellAt,
  formatValue,
  moveCursor,
  readoutText,
  tickPositions,
  valueRange,
} from './map-axes';

export type { AxisSpec } from './MapParts';

function colorsOf(theme: Theme): HeatmapColors {
  return {
    background: theme.dark ? [27, 32, 39] : [255, 255, 255],
    positive: hexRgb(theme.dark ? '#56b4e9' : '#0062a3'),
    negative: hexRgb(theme.dark ? '#f0a040' : '#c45200'),
    bad: [200, 0, 40],
  };
}

/** What the two colours of a signed (diverging) map mean. */
export const SIGN_NOTE =
  'blue: positive weight (the token’s input is added), orange: negative (subtracted); pale: near 0';

/** The sign colours of the implicit attention and the S4 kernel, once per panel. */
export function SignLegend() {
  const colors = colorsOf(useTheme());
  const css = (c: readonly number[]) => `rgb(${c.join(' ')})`;
  return (
    <p className="sign-legend">
      <span>
        <span className="role-swatch" style={{ background: css(colors.positive) }} aria-hidden="true" /> blue:
        positive weight (the earlier token’s input is added)
      </span>
      <span>
        <span className="role-swatch" style={{ background: css(colors.negative) }} aria-hidden="true" />{' '}
        orange: negative (subtracted)
      </span>
      <span>pale: near 0</span>
    </p>
  );
}

export interface HeatmapProps {
  /** row-major [rows, cols] */
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  /** accessible description */
  label: string;
  /** 'sequential' for weights in [0, max]; 'diverging' for signed values */
  scale?: 'sequential' | 'diverging';
  /** transpose on drawing (show [rows, cols] data as cols x rows) */
  transpose?: boolean;
  /** CSS size of the longer side (px), cells square */
  size?: number;
  /** CSS width and height (px) instead of `size`: cells stretched (a long thin matrix such as Δ) */
  box?: { width: number; height: number };
  caption?: string;
  /** the axes as drawn (after `transpose`): rows on the left, columns at the bottom */
  rowAxis?: AxisSpec;
  colAxis?: AxisSpec;
  /** what the colours mean, under the colour scale */
  legendNote?: string;
}

const ROWS: AxisSpec = { name: 'row', labels: null };
const COLS: AxisSpec = { name: 'column', labels: null };

/**
 * A matrix drawn pixel per cell on a canvas (scaled up without smoothing), from one ImageData per
 * change of the matrix (heatmap-pixels.ts: square-root ramp for weights, diverging ramp, orange
 * negative and blue positive, for signed values); token labels along both axes, its colour scale
 * with the value range, and a read-out of the cell under the pointer or the keyboard cursor
 * (focus the map, arrow keys move) in a live region.
 */
export const Heatmap = memo(function Heatmap({
  data,
  rows,
  cols,
  label,
  scale = 'sequential',
  transpose,
  size = 120,
  box,
  caption,
  rowAxis = ROWS,
  colAxis = COLS,
  legendNote,
}: HeatmapProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const theme = useTheme();
  const colors = useMemo(() => colorsOf(theme), [theme]);
  const w = transpose ? rows : cols;
  const h = transpose ? cols : rows;
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const readoutId = useId();
  // what is on the canvas: a re-render with a new view of the same probe bytes does not redraw
  const drawn = useRef<{ data: ArrayLike<number>; key: string } | null>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || w === 0 || h === 0) return;
    const key = `${rows}x${cols}:${transpose ? 't' : ''}:${scale}:${theme.dark ? 'dark' : 'light'}`;
    if (drawn.current && drawn.current.key === key && sameMatrix(drawn.current.data, data)) return;
    const { width, height, pixels } = heatmapPixels(data, rows, cols, colors, {
      diverging: scale === 'diverging',
      transpose,
    });
    canvas.width = width;
    canvas.height = height;
    const img = ctx.createImageData(width, height);
    img.data.set(pixels);
    ctx.putImageData(img, 0, 0);
    drawn.current = { data, key };
  }, [data, rows, cols, w, h, theme, colors, scale, transpose]);
  const range = useMemo(() => valueRange(data), [data]);
  const k = size / Math.max(w, h, 1);
  const cw = box?.width ?? Math.max(1, Math.round(w * k));
  const ch = box?.height ?? Math.max(1, Math.round(h * k));
  // the cursor as drawn: (r, c) of the shown map; the value from the stored layout
  const at = cursor && cursor.r < h && cursor.c < w ? cursor : null;
  const value = (c: Cursor) => data[transpose ? c.c * cols + c.r : c.r * cols + c.c];
  const readout = at ? readoutText(rowAxis, colAxis, at.r, at.c, value(at)) : '';
  const onKey = (e: KeyboardEvent) => {
    const next = moveCursor(at ?? { r: 0, c: 0 }, e.key, h, w);
    if (!next) return;
    e.preventDefault();
    e.stopPropagation();
    setCursor(at ? next : { r: 0, c: 0 });
  };
  const onPointer = (e: PointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const c = cellAt(e.clientX - box.left, e.clientY - box.top, box.width, box.height, h, w);
    if (c) setCursor(c);
  };
  return (
    <figure className="heatmap">
      <div className="map-grid">
        <MapAxis axis={rowAxis} n={h} length={ch} side="left" />
        <div
          className="map-canvas"
          role="application"
          aria-roledescription="map"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: the map is read with the arrow keys (role application)
          tabIndex={0}
          aria-label={`${label}. Values ${formatValue(range.min)} to ${formatValue(range.max)}; arrow keys read the cells.`}
          aria-describedby={readoutId}
          onKeyDown={onKey}
          onPointerMove={onPointer}
          onPointerLeave={() => setCursor(null)}
          onBlur={() => setCursor(null)}
        >
          <canvas ref={ref} role="img" aria-label={label} style={{ width: cw, height: ch }} />
          {at && (
            <span
              className="map-cursor"
              style={{ left: (at.c * cw) / w, top: (at.r * ch) / h, width: cw / w, height: ch / h }}
            />
          )}
        </div>
        <span style={{ width: AXIS_LEFT }} />
        <MapAxis axis={colAxis} n={w} length={cw} side="bottom" />
        {(rowAxis.title || colAxis.title) && (
          <span className="map-axis-title rows" style={{ paddingLeft: AXIS_LEFT }}>
            {rowAxis.title && `rows: ${rowAxis.title}`}
            {rowAxis.title && colAxis.title && ' · '}
            {colAxis.title && `columns: ${colAxis.title}`}
          </span>
        )}
      </div>
      <div style={{ paddingLeft: AXIS_LEFT }}>
        <MapLegend range={range} colors={colors} diverging={scale === 'diverging'} note={legendNote} />
        {caption && <figcaption>{caption}</figcaption>}
      </div>
      <p className={`map-readout${readout ? ' shown' : ''}`} id={readoutId} aria-live="polite">
        {readout}
      </p>
    </figure>
  );
});

const SPARK_LEFT = 30;
const SPARK_BOTTOM = 16;

/** ||h_t|| over time as a small line, with its token axis and its largest value. */
export function Sparkline({
  values,
  label,
  width = 180,
  height = 64,
  tokens,
}: {
  values: ArrayLike<number>;
  label: string;
  width?: number;
  height?: number;
  /** the x axis: the probe prompt's tokens */
  tokens?: AxisSpec;
}) {
  const n = values.length;
  let max = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(values[i]) && values[i] > max) max = values[i];
  const pw = width - SPARK_LEFT - 4;
  const ph = height - SPARK_BOTTOM - 4;
  const xOf = (i: number) => SPARK_LEFT + (n > 1 ? (i / (n - 1)) * pw : pw / 2);
  const pts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = Number.isFinite(values[i]) ? values[i] : 0;
    const y = 2 + ph - (max > 0 ? (v / max) * ph : 0);
    pts.push(`${xOf(i).toFixed(1)},${y.toFixed(1)}`);
  }
  const ticks = tickPositions(n, n > 1 ? pw / (n - 1) : pw, 22);
  const tick = (i: number) => tokens?.labels?.[i]?.short ?? `${i + 1}`;
  return (
    <figure className="heatmap sparkline">
      <svg width={width} height={height} role="img" aria-label={label}>
        <title>{label}</title>
        <g className="spark-axis">
          <line x1={SPARK_LEFT} x2={SPARK_LEFT + pw} y1={ph + 2} y2={ph + 2} />
          <line x1={SPARK_LEFT} x2={SPARK_LEFT} y1={2} y2={ph + 2} />
          <text x={SPARK_LEFT - 3} y={8} textAnchor="end">
            {formatValue(max)}
          </text>
          <text x={SPARK_LEFT - 3} y={ph + 2} textAnchor="end">
            0
          </text>
          {ticks.map((i) => (
            <text key={i} x={xOf(i)} y={height - 3} textAnchor="middle">
              {tick(i)}
            </text>
          ))}
        </g>
        <polyline points={pts.join(' ')} fill="none" stroke="currentColor" strokeWidth={1.5} />
      </svg>
      <figcaption>‖h_t‖ over the prompt’s tokens (max {formatValue(max)})</figcaption>
    </figure>
  );
}

export { AXIS_BOTTOM };
