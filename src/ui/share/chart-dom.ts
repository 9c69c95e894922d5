/**
 * The page side of exporting charts (browser only): find the charts drawn in the page's regions,
 * read a recharts SVG into a tree with its computed styles inline, draw it into a PNG, enlarge a
 * heatmap canvas into a PNG, and hand a file to the browser's downloads (Blob + object URL).
 * The file formats themselves are pure (svg.ts, csv.ts, ...).
 */
import { type LegendEntry, type SvgNode, standaloneSvg } from '../../formats/export/svg';

/** The regions whose charts can be exported, by accessible name. */
export const CHART_REGIONS = ['Training loss', 'In-context error', 'Attention', 'SSM state'] as const;

export interface ChartTarget {
  /** unique within one findCharts() answer */
  id: string;
  region: string;
  title: string;
  kind: 'svg' | 'canvas';
  element: SVGSVGElement | HTMLCanvasElement;
}

const clean = (t: string | null | undefined) => (t ?? '').replace(/\s+/g, ' ').trim();

/**
 * The charts shown now, region by region: the line charts (recharts' and PlotChart's SVGs, named by
 * the region's heading), small SVG plots and heatmap canvases.
 */
export function findCharts(doc: Document = document): ChartTarget[] {
  const out: ChartTarget[] = [];
  for (const region of CHART_REGIONS) {
    const section = doc.querySelector<HTMLElement>(`section[aria-label="${region}"]`);
    if (!section) continue;
    const heading = clean(section.querySelector('h2')?.textContent) || region;
    section.querySelectorAll<SVGSVGElement>('.recharts-wrapper > svg, svg.plot-surface').forEach((svg) => {
      const caption = clean(svg.closest('figure')?.querySelector('figcaption')?.textContent);
      out.push({ id: '', region, title: caption || heading, kind: 'svg', element: svg });
    });
    section.querySelectorAll<SVGSVGElement>('svg[role="img"]:not(.plot-surface)').forEach((svg) => {
      out.push({
        id: '',
        region,
        title: clean(svg.getAttribute('aria-label')) || heading,
        kind: 'svg',
        element: svg,
      });
    });
    section.querySelectorAll<HTMLCanvasElement>('canvas[role="img"]').forEach((canvas) => {
      if (canvas.width === 0 || canvas.height === 0) return;
      const title = clean(canvas.getAttribute('aria-label')) || heading;
      out.push({ id: '', region, title, kind: 'canvas', element: canvas });
    });
  }
  return out.map((t, i) => ({ ...t, id: `chart-${i}` }));
}

const INHERITED = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'visibility',
];
const TEXT = ['font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline'];
const SKIPPED_ATTRS = /^(class|style|tabindex|role|focusable|on.*|aria-.*|data-.*)$/i;

/** The element tree of an SVG with the computed presentation styles inline (only where they change). */
export function svgTree(el: Element, parent?: CSSStyleDeclaration): SvgNode | null {
  const style = getComputedStyle(el);
  if (style.display === 'none') return null;
  const attrs: Record<string, string> = {};
  for (const a of Array.from(el.attributes)) if (!SKIPPED_ATTRS.test(a.name)) attrs[a.name] = a.value;
  const decls: string[] = [];
  const isText = el.localName === 'text' || el.localName === 'tspan';
  for (const p of [...INHERITED, ...(isText ? TEXT : [])]) {
    const v = style.getPropertyValue(p);
    if (v && (!parent || parent.getPropertyValue(p) !== v)) decls.push(`${p}: ${v}`);
  }
  if (style.opacity !== '1') decls.push(`opacity: ${style.opacity}`);
  if (decls.length) attrs.style = `${decls.join('; ')};`;
  const children: Array<SvgNode | string> = [];
  el.childNodes.forEach((n) => {
    if (n.nodeType === Node.TEXT_NODE) {
      if (n.textContent) children.push(n.textContent);
    } else if (n.nodeType === Node.ELEMENT_NODE) {
      const child = svgTree(n as Element, style);
      if (child) children.push(child);
    }
  });
  return { tag: el.localName, attrs, children };
}

/** The legend recharts or PlotChart draws (as HTML) beside one of its SVGs. */
function legendOf(svg: SVGSVGElement): LegendEntry[] {
  const wrapper = svg.closest('.recharts-wrapper, .plot-chart');
  if (!wrapper) return [];
  return Array.from(wrapper.querySelectorAll('.recharts-legend-item, .plot-legend-item')).map((item) => {
    const icon = item.querySelector('svg path, svg line, svg rect');
    const s = icon ? getComputedStyle(icon) : null;
    const stroke = s?.stroke && s.stroke !== 'none' ? s.stroke : '';
    return {
      label: clean(
        item.querySelector('.recharts-legend-item-text, .plot-legend-text')?.textContent ?? item.textContent,
      ),
      color: stroke || s?.fill || '#888888',
    };
  });
}

function surfaceOf(el: Element): { background: string; color: string; font: string } {
  const panel = el.closest('.panel') ?? document.body;
  const s = getComputedStyle(panel);
  const bg = s.backgroundColor;
  const transparent = !bg || bg === 'transparent' || /rgba\(.*,\s*0\)$/.test(bg);
  return {
    background: transparent ? getComputedStyle(document.body).backgroundColor || '#ffffff' : bg,
    color: s.color,
    font: s.fontFamily,
  };
}

/** A chart's SVG as a standalone file (and its size). */
export function chartSvg(target: ChartTarget): { text: string; width: number; height: number } {
  const svg = target.element as SVGSVGElement;
  const box = svg.getBoundingClientRect();
  const width = Number(svg.getAttribute('width')) || box.width;
  const height = Number(svg.getAttribute('height')) || box.height;
  const tree = svgTree(svg) ?? { tag: 'svg', attrs: {}, children: [] };
  const surface = surfaceOf(svg);
  const text = standaloneSvg(tree, {
    width,
    height,
    title: target.title,
    background: surface.background,
    color: surface.color,
    fontFamily: surface.font,
    legend: legendOf(svg),
  });
  const size = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(text);
  return { text, width: Number(size?.[1] ?? width), height: Number(size?.[2] ?? height) };
}

function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('the browser could not encode the PNG'))),
      'image/png',
    ),
  );
}

/** An SVG document drawn into a PNG at `scale` times its size. */
export async function svgToPng(text: string, width: number, height: number, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas in this browser');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await canvasBlob(canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A heatmap (one pixel per cell) enlarged without smoothing, so each cell stays a sharp square. */
export function heatmapPng(canvas: HTMLCanvasElement, minSide = 384): Promise<Blob> {
  const k = Math.max(1, Math.ceil(minSide / Math.max(canvas.width, canvas.height, 1)));
  const big = document.createElement('canvas');
  big.width = canvas.width * k;
  big.height = canvas.height * k;
  const ctx = big.getContext('2d');
  if (!ctx) return Promise.reject(new Error('no 2D canvas in this browser'));
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, big.width, big.height);
  return canvasBlob(big);
}

/** A chart as a file: SVG (recharts and small plots) or PNG (any chart). */
export async function chartFile(target: ChartTarget, format: 'svg' | 'png'): Promise<Blob> {
  if (target.kind === 'canvas') {
    if (format === 'svg') throw new Error('heatmaps are exported as PNG');
    return heatmapPng(target.element as HTMLCanvasElement);
  }
  const svg = chartSvg(target);
  if (format === 'svg') return new Blob([svg.text], { type: 'image/svg+xml' });
  return svgToPng(svg.text, svg.width, svg.height);
}

/** Hand a file to the browser's downloads. */
export function download(
  name: string,
  data: Blob | string | Uint8Array,
  type = 'application/octet-stream',
): void {
  const blob =
    data instanceof Blob
      ? data
      : new Blob([typeof data === 'string' ? data : new Uint8Array(data)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // the download has its own copy once started; a minute is plenty
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
