/**
 * Decompression with a running byte limit, for everything compressed that arrives from outside
 * (recorded runs, share links).
 *
 * fflate's one-shot functions (and its streaming classes given the whole input in one push) inflate
 * everything before anyone can look at the size: a 200 kB gzip file holding 200 MB of spaces costs
 * 200 MB and seconds before a check after the fact refuses it. Here the compressed input is fed in
 * small slices; DEFLATE expands one input byte to at most ~1032 output bytes, so each slice adds at
 * most about a megabyte, and the total is compared with the limit after every slice. A bomb stops as
 * soon as its inflated total passes the limit, having cost about the limit in memory and time.
 */
import { Gunzip, Inflate } from 'fflate';

/** Compressed bytes fed per push: 1 KiB inflates to at most ~1 MiB. */
const SLICE = 1024;

export type InflateFormat = 'gzip' | 'deflate';

/** Why inflating stopped: the data is damaged or ends early, or it inflates past the limit. */
export class InflateError extends Error {
  override name = 'InflateError';
  constructor(
    message: string,
    readonly reason: 'too-large' | 'corrupt' | 'truncated',
  ) {
    super(message);
  }
}

/**
 * Inflate `bytes` (a gzip stream, or raw DEFLATE) into at most `limit` bytes. Throws InflateError:
 * `too-large` as soon as the inflated total passes `limit`, `corrupt` on bad data, `truncated` when
 * the stream ends before its last block.
 */
export function inflateBounded(bytes: Uint8Array, format: InflateFormat, limit: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  let over = false;
  const onData = (chunk: Uint8Array, final: boolean) => {
    size += chunk.length;
    if (size > limit) {
      over = true;
      return;
    }
    parts.push(chunk);
    if (final) ended = true;
  };
  const stream = format === 'gzip' ? new Gunzip(onData) : new Inflate(onData);
  try {
    if (bytes.length === 0) stream.push(bytes, true);
    for (let at = 0; at < bytes.length && !over; at += SLICE) {
      const end = Math.min(at + SLICE, bytes.length);
      stream.push(bytes.subarray(at, end), end === bytes.length);
    }
  } catch (e) {
    if (!over) {
      const message = e instanceof Error && e.message ? e.message : 'bad data';
      const truncated = /unexpected EOF/i.test(message);
      throw new InflateError(
        truncated ? 'the compressed data ends early' : `the compressed data is damaged (${message})`,
        truncated ? 'truncated' : 'corrupt',
      );
    }
  }
  if (over) throw new InflateError(`it inflates to more than ${limit} bytes`, 'too-large');
  if (!ended) throw new InflateError('the compressed data ends early', 'truncated');
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
