import { describe, expect, it } from 'vitest';
import { escapeAttr, escapeText, type SvgNode, standaloneSvg } from './svg';

/** A small XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const token = /<\/?([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < body.length) {
    token.lastIndex = at;
    m = token.exec(body);
    if (!m) throw new Error(`not well-formed at ${at}: ${body.slice(at, at + 40)}`);
    at = token.lastIndex;
    if (m[4] !== undefined) {
      if (/&(?!amp;|lt;|gt;|quot;|#\d+;)/.test(m[4])) throw new Error(`bare & in text: ${m[4]}`);
      continue;
    }
    if (m[0].startsWith('</')) {
      if (stack.pop() !== m[1]) throw new Error(`unbalanced </${m[1]}>`);
    } else if (!m[3]) stack.push(m[1]);
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' ')}`);
}

const chart: SvgNode = {
  tag: 'svg',
  attrs: { class: 'recharts-surface', width: '400', height: '300', role: 'application' },
  children: [
    {
      tag: 'g',
      attrs: { class: 'recharts-line' },
      children: [
        {
          tag: 'path',
          attrs: { d: 'M0,0L10,10', stroke: '#0062a3', style: 'fill: none; stroke-width: 2px;' },
          children: [],
        },
        { tag: 'text', attrs: { x: '5', y: '5', onclick: 'alert(1)' }, children: ['Lasso (α < 1 & "β")'] },
        { tag: 'script', attrs: {}, children: ['alert(1)'] },
        { tag: 'bad tag', attrs: {}, children: [] },
      ],
    },
  ],
};

describe('standalone SVG', () => {
  it('escapes text and attributes', () => {
    expect(escapeText('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
    expect(escapeAttr('say "hi"\n')).toBe('say &quot;hi&quot;&#10;');
  });

  it('is a well-formed document with the SVG namespace, size, title, background and legend', () => {
    const svg = standaloneSvg(chart, {
      width: 400,
      height: 300,
      title: 'Training loss <log>',
      background: '#ffffff',
      legend: [
        { label: 'Transformer', color: '#0062a3' },
        { label: 'Mamba & co', color: '#c45200' },
      ],
    });
    checkWellFormed(svg);
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(svg).toMatch(
      /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" xmlns:xlink="http:\/\/www\.w3\.org\/1999\/xlink"/,
    );
    const height = Number(/ height="(\d+)"/.exec(svg)?.[1]);
    expect(height).toBeGreaterThan(300);
    expect(svg).toContain(`viewBox="0 0 400 ${height}"`);
    expect(svg).toContain('<title>Training loss &lt;log&gt;</title>');
    expect(svg).toContain('fill="#ffffff"');
    expect(svg).toContain('>Mamba &amp; co</text>');
    expect(svg).toContain('stroke="#c45200"');
    // the chart's inline styles are kept; scripts, handlers and bad names are not
    expect(svg).toContain('style="fill: none; stroke-width: 2px;"');
    expect(svg).toContain('Lasso (α &lt; 1 &amp; "β")');
    expect(svg).not.toMatch(/script|onclick|bad tag|recharts-surface|application/);
  });

  it('without legend or title the chart is not moved', () => {
    const svg = standaloneSvg(chart, { width: 400, height: 300 });
    checkWellFormed(svg);
    expect(svg).toContain('<g transform="translate(0 0)">');
    const styled = standaloneSvg(
      { ...chart, attrs: { style: 'fill: rgb(1, 2, 3);' } },
      { width: 4, height: 3 },
    );
    expect(styled).toContain('<g transform="translate(0 0)" style="fill: rgb(1, 2, 3);">');
    expect(svg).toContain('height="300"');
  });
});
