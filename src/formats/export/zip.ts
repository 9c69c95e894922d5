/**
 * Several export files as one .zip (fflate, no compression for already-compressed PNGs and
 * safetensors, deflate for text). Names are made unique inside the archive ("x.png", "x-2.png"),
 * folders kept as given ("charts/loss.svg").
 */
import { strToU8, type Zippable, zipSync } from 'fflate';

export interface ZipEntry {
  /** path inside the archive, '/'-separated */
  name: string;
  data: Uint8Array | string;
}

const STORED = /\.(png|safetensors|gz|zip)$/i;

/** The archive's names: each made unique by a "-2", "-3", ... before its extension. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let out = name;
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > name.lastIndexOf('/') ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let k = 2; seen.has(out); k++) out = `${stem}-${k}${ext}`;
    seen.add(out);
    return out;
  });
}

/** The entries as a zip archive (dated `mtime`, so the same files give the same bytes). */
export function zipFiles(
  entries: readonly ZipEntry[],
  mtime: Date = new Date(Date.UTC(2024, 0, 1)),
): Uint8Array {
  const names = uniqueNames(entries.map((e) => e.name));
  const files: Zippable = {};
  entries.forEach((e, i) => {
    const data = typeof e.data === 'string' ? strToU8(e.data) : e.data;
    files[names[i]] = [data, { level: STORED.test(names[i]) ? 0 : 6, mtime }];
  });
  return zipSync(files);
}
