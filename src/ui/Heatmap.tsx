import { memo, useEffect, useRef } from 'react';
import { useTheme } from './theme';

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

type Rgb = [number, number, number];

function hex(c: string): Rgb {
  const v = Number.parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];

/**
 * A matrix drawn pixel per cell on a canvas (scaled up without smoothing). Sequential values are
 * shown with a square-root ramp from the background to the accent colour (small weights stay
 * visible); signed values with a diverging ramp (orange negative, blue positive), both relative to
 * the matrix's largest magnitude.
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
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || w === 0 || h === 0) return;
    canvas.width = w;
    canvas.height = h;
    let max = 0;
    for (let i = 0; i < rows * cols; i++) {
      const v = Math.abs(data[i]);
      if (Number.isFinite(v) && v > max) max = v;
    }
    const bg: Rgb = theme.dark ? [27, 32, 39] : [255, 255, 255];
    const pos: Rgb = hex(theme.dark ? '#56b4e9' : '#0062a3');
    const neg: Rgb = hex(theme.dark ? '#f0a040' : '#c45200');
    const img = ctx.createImageData(w, h);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = data[r * cols + c];
        const x = transpose ? r : c;
        const y = transpose ? c : r;
        const o = 4 * (y * w + x);
        let rgb: Rgb;
        if (!Number.isFinite(v)) rgb = [200, 0, 40];
        else if (max === 0) rgb = bg;
        else {
          const t = Math.sqrt(Math.min(1, Math.abs(v) / max));
          rgb = mix(bg, scale === 'diverging' && v < 0 ? neg : pos, t);
        }
        img.data[o] = rgb[0];
        img.data[o + 1] = rgb[1];
        img.data[o + 2] = rgb[2];
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
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
