/**
 * The page's initial JavaScript, from the build output: the module scripts and modulepreloads of
 * dist/index.html and, transitively, their static imports (`import ... from './x.js'`, `import
 * './x.js'`, `export ... from './x.js'`; dynamic `import()` and worker URLs are not initial). Sizes
 * raw and gzip (node:zlib, level 9), and whether any of it is TensorFlow.js (from the chunk's source
 * map sources, else from the text), so the first screen is known to work before tfjs loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Static import specifiers of an ES module's text (relative ones only: the build's chunks). */
export function staticImports(code) {
  const out = new Set();
  const re = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{},\s]*?\bfrom\s*)?(["'])(\.{1,2}\/[^"'\s]+?\.m?js)\1/g;
  for (let m = re.exec(code); m; m = re.exec(code)) out.add(m[2]);
  return [...out];
}

/** Entry scripts of an HTML page: module scripts and modulepreload links (site-absolute paths). */
export function htmlEntries(html) {
  const out = new Set();
  for (const m of html.matchAll(/<script\b[^>]*\btype=["']module["'][^>]*\bsrc=["']([^"']+)["']/g))
    out.add(m[1]);
  for (const m of html.matchAll(/<script\b[^>]*\bsrc=["']([^"']+)["'][^>]*\btype=["']module["']/g))
    out.add(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*\brel=["']modulepreload["'][^>]*\bhref=["']([^"']+)["']/g))
    out.add(m[1]);
  return [...out];
}

/** Is this chunk (partly) TensorFlow.js? Its source map's sources say; without one, its text. */
export function containsTfjs(code, map) {
  if (map && Array.isArray(map.sources)) return map.sources.some((s) => s.includes('@tensorflow/'));
  return /@tensorflow\/tfjs|tfjs-core|registerKernel\(\{kernelName/.test(code);
}

/**
 * @param dist the build's output folder (with index.html)
 * @returns { files: [{ file, bytes, gzip, tfjs }], bytes, gzip, tfjs: string[] }
 */
export function initialJavaScript(dist) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const queue = htmlEntries(html).map((src) => normalize(join(dist, src.replace(/^\//, ''))));
  const seen = new Set();
  const files = [];
  while (queue.length) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    if (!existsSync(path)) throw new Error(`initial script missing from the build: ${path}`);
    const code = readFileSync(path, 'utf8');
    const mapPath = `${path}.map`;
    const map = existsSync(mapPath) ? JSON.parse(readFileSync(mapPath, 'utf8')) : null;
    files.push({
      file: relative(dist, path),
      bytes: Buffer.byteLength(code),
      gzip: gzipSync(code, { level: 9 }).byteLength,
      tfjs: containsTfjs(code, map),
    });
    for (const spec of staticImports(code)) queue.push(normalize(join(dirname(path), spec)));
  }
  return {
    files,
    bytes: files.reduce((s, f) => s + f.bytes, 0),
    gzip: files.reduce((s, f) => s + f.gzip, 0),
    tfjs: files.filter((f) => f.tfjs).map((f) => f.file),
  };
}
