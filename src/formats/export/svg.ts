/**
 * A standalone SVG file from a chart's element tree: XML declaration, the SVG namespaces, explicit
 * size and viewBox, a background, a title, the chart's elements with their styles inline (the
 * page's stylesheet is not there when the file is opened), and a legend drawn in SVG (a recharts
 * legend is HTML beside the SVG). Names are checked and every value escaped, so the file is
 * well-formed whatever the labels say; scripts and event handlers are dropped.
 */

export interface SvgNode {
  tag: string;
  attrs: Record<string, string>;
  children: Array<SvgNode | string>;
}

export interface LegendEntry {
  label: string;
  color: string;
}

export interface SvgFileOptions {
  width: number;
  height: number;
  title?: string;
  /** background fill (absent: transparent) */
  background?: string;
  /** text colour of the title and the legend */
  color?: string;
  fontFamily?: string;
  legend?: readonly LegendEntry[];
}

export const SVG_NS = 'http://www.w3.org/2000/svg';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';

const NAME = /^[A-Za-z_][\w:.-]*$/;
const DROPPED_TAGS = new Set(['script', 'foreignObject', 'iframe']);

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;');
}

function attrsText(attrs: Record<string, string>): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (!NAME.test(k) || /^on/i.test(k)) continue;
    if ((k === 'href' || k === 'xlink:href') && /^\s*javascript:/i.test(v)) continue;
    out += ` ${k}="${escapeAttr(v)}"`;
  }
  return out;
}

function nodeText(node: SvgNode | string): string {
  if (typeof node === 'string') return escapeText(node);
  if (!NAME.test(node.tag) || DROPPED_TAGS.has(node.tag)) return '';
  const inner = node.children.map(nodeText).join('');
  const open = `<${node.tag}${attrsText(node.attrs)}`;
  return inner ? `${open}>${inner}</${node.tag}>` : `${open}/>`;
}

const round = (v: number) => String(Math.round(v * 100) / 100);

/** Legend rows: a coloured stroke and the label, wrapped to the width. */
function legendNodes(
  entries: readonly LegendEntry[],
  width: number,
  top: number,
  color: string,
): { nodes: SvgNode[]; height: number } {
  const rowHeight = 20;
  const nodes: SvgNode[] = [];
  let x = 12;
  let y = top;
  for (const e of entries) {
    const w = 34 + e.label.length * 7;
    if (x > 12 && x + w > width - 8) {
      x = 12;
      y += rowHeight;
    }
    nodes.push({
      tag: 'line',
      attrs: {
        x1: round(x),
        y1: round(y + 10),
        x2: round(x + 20),
        y2: round(y + 10),
        stroke: e.color,
        'stroke-width': '3',
      },
      children: [],
    });
    nodes.push({
      tag: 'text',
      attrs: { x: round(x + 26), y: round(y + 14), fill: color, 'font-size': '12' },
      children: [e.label],
    });
    x += w;
  }
  return { nodes, height: entries.length ? y - top + rowHeight + 6 : 0 };
}

/** The chart as a standalone SVG document. */
export function standaloneSvg(root: SvgNode, options: SvgFileOptions): string {
  const width = Math.max(1, Math.round(options.width));
  const color = options.color ?? '#1d232b';
  const font = options.fontFamily ?? 'system-ui, sans-serif';
  const titleHeight = options.title ? 28 : 0;
  const legend = legendNodes(options.legend ?? [], width, titleHeight + 4, color);
  const offset = titleHeight + legend.height;
  const height = Math.max(1, Math.round(options.height + offset));
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<svg xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}" version="1.1" width="${width}" height="${height}"`,
    ` viewBox="0 0 ${width} ${height}" font-family="${escapeAttr(font)}">`,
  ];
  if (options.title) parts.push(`<title>${escapeText(options.title)}</title>`);
  if (options.background) {
    parts.push(
      `<rect x="0" y="0" width="${width}" height="${height}" fill="${escapeAttr(options.background)}"/>`,
    );
  }
  if (options.title) {
    parts.push(
      `<text x="12" y="20" font-size="15" font-weight="600" fill="${escapeAttr(color)}">${escapeText(options.title)}</text>`,
    );
  }
  parts.push(legend.nodes.map(nodeText).join(''));
  // the root's size, class and roles are the page's; its children are the chart, and its styles
  // (which they inherit) go on their group
  const rootStyle = root.attrs.style ? ` style="${escapeAttr(root.attrs.style)}"` : '';
  parts.push(`<g transform="translate(0 ${offset})"${rootStyle}>`);
  parts.push(root.children.map(nodeText).join(''));
  parts.push('</g></svg>\n');
  return parts.join('');
}
