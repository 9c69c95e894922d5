/**
 * The HTTP headers the page is served with, in one place: `npm start` (vite preview) and `vite dev`
 * send them through `securityHeaders()` (a Vite plugin, added in vite.config.ts), the production
 * build carries the CSP as a meta tag too (`cspMetaTag()`), and static hosts get the same list from
 * public/_headers (Netlify / Cloudflare Pages) or the nginx lines of docs/DEPLOY.md;
 * server-headers.test.ts checks that file against this one and the servers' responses.
 *
 * Only types are imported from Vite and Node, so this module stays free of both at run time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HtmlTagDescriptor, Plugin } from 'vite';

/**
 * Content-Security-Policy of the page: only this origin, no inline scripts, no third-party
 * requests; WebAssembly compilation allowed for tfjs's wasm backend. This is what the meta tag of
 * the build says (a meta tag cannot hold `frame-ancestors`).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The page may not be framed by any site (a classroom link inside someone else's frame). */
const FRAME_ANCESTORS = "frame-ancestors 'none'";

/** Headers of every response of the built page (preview, static hosts). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; ${FRAME_ANCESTORS}`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // for browsers without frame-ancestors
  'X-Frame-Options': 'DENY',
  // cross-origin isolation: tfjs-backend-wasm's SIMD + threads build needs SharedArrayBuffer; every
  // asset is same-origin, so nothing is blocked (docs/DEPLOY.md)
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Headers of `vite dev`: the same, except the script rules (the dev server's client and React's
 * refresh runtime are inline scripts and a WebSocket), so its CSP keeps only what they allow.
 */
export const DEV_HEADERS: Readonly<Record<string, string>> = {
  ...SECURITY_HEADERS,
  'Content-Security-Policy': `${FRAME_ANCESTORS}; object-src 'none'; base-uri 'none'; form-action 'none'`,
};

/**
 * Content types of our files that a server may not know, or get wrong (the usual web types, .js,
 * .css, .html, .svg, .json, are left to the server: Vite's dev server rewrites some of them).
 */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  // recorded runs are gzip'd JSON read as bytes by the page: no Content-Encoding, served as they are
  '.iclreplay': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  // WebAssembly.instantiateStreaming needs exactly this type
  '.wasm': 'application/wasm',
};

/** The content type for a URL path, or null when the server's own guess is fine. */
export function contentTypeOf(path: string): string | null {
  const clean = path.split(/[?#]/)[0].toLowerCase();
  const dot = clean.lastIndexOf('.');
  if (dot < 0 || dot < clean.lastIndexOf('/')) return null;
  return CONTENT_TYPES[clean.slice(dot)] ?? null;
}

/** Source maps are never served (the build writes none unless a bench asks, and those stay on disk). */
export const isSourceMap = (path: string) => /\.map$/i.test(path.split(/[?#]/)[0]);

type Next = (error?: unknown) => void;

function middleware(headers: Readonly<Record<string, string>>, refuseMaps: boolean) {
  return (req: IncomingMessage, res: ServerResponse, next: Next) => {
    const url = req.url ?? '/';
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (refuseMaps && isSourceMap(url)) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Not found');
      return;
    }
    const type = contentTypeOf(url);
    if (type) res.setHeader('Content-Type', type);
    next();
  };
}

/** The Vite plugin: security headers and content types on `vite dev` and `vite preview`. */
export function securityHeaders(): Plugin {
  return {
    name: 'icl-lab-security-headers',
    configureServer(server) {
      server.middlewares.use(middleware(DEV_HEADERS, false));
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware(SECURITY_HEADERS, true));
    },
  };
}

/** The build's CSP meta tag (dev mode has none: the React refresh runtime is an inline script). */
export function cspMetaTag(): Plugin {
  return {
    name: 'icl-lab-csp',
    apply: 'build',
    transformIndexHtml: (): HtmlTagDescriptor[] => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}
