/** Types of initial-js.mjs (plain JS so that `node bench/browser-race.mjs` runs it as is). */
export interface InitialFile {
  file: string;
  bytes: number;
  gzip: number;
  tfjs: boolean;
}
export function staticImports(code: string): string[];
export function htmlEntries(html: string): string[];
export function containsTfjs(code: string, map: { sources?: unknown } | null): boolean;
export function initialJavaScript(dist: string): {
  files: InitialFile[];
  bytes: number;
  gzip: number;
  tfjs: string[];
};
