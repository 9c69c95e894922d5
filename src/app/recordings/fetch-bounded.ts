/** Fetching a recorded run (or its list) with a size bound: the page's `fetchBytes`. */
import { MAX_REPLAY_BYTES } from '../../formats/replay';

/** Fetch `url` as bytes, refusing more than `limit` (by the announced length, then the real one). */
export async function fetchBounded(url: string, limit = MAX_REPLAY_BYTES): Promise<Uint8Array> {
  const res = await fetch(url, { cache: 'no-cache' });
  if (!res.ok)
    throw new Error(`the server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > limit) throw new Error(`it has ${length} bytes, more than the ${limit} accepted`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > limit) throw new Error(`it has ${bytes.length} bytes, more than the ${limit} accepted`);
  return bytes;
}
