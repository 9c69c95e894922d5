import { memo, useEffect, useRef } from 'react';
import { type Theme, useTheme } from '../theme';
import { type HeatmapColors, heatmapPixels, hexRgb, sameMatrix } from './heatmap-pixels';

function colorsOf(theme: Theme): HeatmapColors {
  return {
    background: theme.dark ? [27, 32, 39] : [255, 255, 255],
    positive: hexRgb(theme.dark ? '#56b4e9' : '#0062a3'),
    negative: hexRgb(theme.dark ? '#f0a040' : '#c45200'),
    bad: [200, 0, 40],
  };
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
  /** CSS size of the longer side (px) */
  size?: number;
  caption?: string;
}

/**
 * A matrix drawn pixel per cell on a canvas (scaled up without smoothing), from one ImageData per
 * change of the matrix (heatmap-pixels.ts: square-root ramp for weights, diverging ramp, orange
 * negative and blue positive, for signed values).
 */
export const Heatmap = memo(function Heatmap({
  data,
  rows,
  cols,
  label,
  scale = 'sequential',
  transpose,
  size = 120,
  caption,
}: HeatmapProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const theme = useTheme();
  const w = transpose ? rows : cols;
  const h = transpose ? cols : rows;
  // what is on the canvas: a re-render with a new view of the same probe bytes does not redraw
  const drawn = useRef<{ data: ArrayLike<number>; key: string } | null>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || w === 0 || h === 0) return;
    const key = `${rows}x${cols}:${transpose ? 't' : ''}:${scale}:${theme.dark ? 'dark' : 'light'}`;
    if (drawn.current && drawn.current.key === key && sameMatrix(drawn.current.data, data)) return;
    const { width, height, pixels } = heatmapPixels(data, rows, cols, colorsOf(theme), {
      diverging: scale === 'diverging',
      transpose,
    });
    canvas.width = width;
    canvas.height = height;
    const img = ctx.createImageData(width, height);
    img.data.set(pixels);
    ctx.putImageData(img, 0, 0);
    drawn.current = { data, key };
  }, [data, rows, cols, w, h, theme, scale, transpose]);
  const k = size / Math.max(w, h, 1);
  return (
    <figure className="heatmap">
      <canvas
        ref={ref}
        role="img"
        aria-label={label}
        style={{ width: Math.max(1, Math.round(w * k)), height: Math.max(1, Math.round(h * k)) }}
      />
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
});

/** ||h_t|| over time as a small line. */
export function Sparkline({
  values,
  label,
  width = 160,
  height = 48,
}: {
  values: ArrayLike<number>;
  label: string;
  width?: number;
  height?: number;
}) {
  const n = values.length;
  let max = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(values[i]) && values[i] > max) max = values[i];
  const pts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = Number.isFinite(values[i]) ? values[i] : 0;
    const x = n > 1 ? (i / (n - 1)) * (width - 4) + 2 : width / 2;
    const y = height - 2 - (max > 0 ? (v / max) * (height - 4) : 0);
    pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  return (
    <figure className="heatmap sparkline">
      <svg width={width} height={height} role="img" aria-label={label}>
        <title>{label}</title>
        <polyline points={pts.join(' ')} fill="none" stroke="currentColor" strokeWidth={1.5} />
      </svg>
      <figcaption>‖h_t‖ (max {max.toPrecision(3)})</figcaption>
    </figure>
  );
}
