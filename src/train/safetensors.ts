/**
 * The safetensors file format (Hugging Face): 8-byte little-endian header length, a JSON header
 * mapping each tensor name to { dtype, shape, data_offsets } plus optional string metadata, then the
 * raw little-endian tensor bytes. Checkpoints written here load with `safetensors.torch.load_file`
 * and vice versa. Reading validates everything: a corrupt or hostile file gives a clear error.
 */

export type SafetensorsDtype = 'F32' | 'F64' | 'I32' | 'I64' | 'U8' | 'F16' | 'BF16' | 'I16' | 'I8' | 'BOOL';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  U8: 1,
  I8: 1,
  BOOL: 1,
};

export interface NamedTensor {
  name: string;
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
  /** tensors of a dtype other than F32/F64, left out (only with `skipUnsupported`) */
  skipped: Array<{ name: string; dtype: string; shape: number[] }>;
}

export interface ReadOptions {
  /** refuse headers longer than this (default 16 MiB) */
  maxHeaderBytes?: number;
  /** leave tensors of a well-formed but unsupported dtype (I64, F16, ...) out instead of throwing */
  skipUnsupported?: boolean;
}

export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

/** Serialise float32 tensors (in the order given) and string metadata. */
export function writeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new CheckpointFormatError(`duplicate tensor name ${t.name}`);
    seen.add(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new CheckpointFormatError(
        `${t.name}: shape [${t.shape}] holds ${n} values, data has ${t.data.length}`,
      );
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (littleEndian()) out.set(bytes, at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

/** Parse and validate a safetensors file; float32 and float64 tensors are returned as float32. */
export function readSafetensors(bytes: Uint8Array, options: number | ReadOptions = {}): SafetensorsFile {
  const opts: ReadOptions = typeof options === 'number' ? { maxHeaderBytes: options } : options;
  const maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024 * 1024;
  const skipped: SafetensorsFile['skipped'] = [];
  if (bytes.length < 8)
    throw new CheckpointFormatError('not a safetensors file: shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > maxHeaderBytes || 8 + headerLen > bytes.length) {
    throw new CheckpointFormatError(
      `not a safetensors file: header length ${headerLen} does not fit the ${bytes.length}-byte file`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new CheckpointFormatError(
      `not a safetensors file: the header is not JSON (${(e as Error).message})`,
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new CheckpointFormatError('not a safetensors file: the header is not a JSON object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry);
      continue;
    }
    const info = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info?.dtype;
    if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) {
      throw new CheckpointFormatError(`${name}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new CheckpointFormatError(`${name}: bad shape ${JSON.stringify(shape)}`);
    }
    const offsets = info.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1] ||
      offsets[1] > dataLen
    ) {
      throw new CheckpointFormatError(
        `${name}: data offsets ${JSON.stringify(offsets)} outside the ${dataLen}-byte data`,
      );
    }
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    const width = BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
    if (offsets[1] - offsets[0] !== n * width) {
      throw new CheckpointFormatError(
        `${name}: ${offsets[1] - offsets[0]} bytes for shape [${shape}] of ${dtype}`,
      );
    }
    ranges.push([offsets[0], offsets[1], name]);
    if (dtype !== 'F32' && dtype !== 'F64') {
      if (opts.skipUnsupported) {
        skipped.push({ name, dtype, shape: shape as number[] });
        continue;
      }
      throw new CheckpointFormatError(
        `${name}: dtype ${dtype} is not supported here (float32 or float64 only)`,
      );
    }
    const data = new Float32Array(n);
    const at = dataStart + offsets[0];
    for (let i = 0; i < n; i++) {
      data[i] = dtype === 'F32' ? view.getFloat32(at + 4 * i, true) : view.getFloat64(at + 8 * i, true);
    }
    tensors.set(name, { name, dtype: 'F32', shape: shape as number[], data });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) {
      throw new CheckpointFormatError(`tensors ${ranges[i - 1][2]} and ${ranges[i][2]} overlap`);
    }
  }
  return { tensors, metadata, skipped };
}

function parseMetadata(entry: unknown): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new CheckpointFormatError('__metadata__ must be an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') throw new CheckpointFormatError(`__metadata__.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
