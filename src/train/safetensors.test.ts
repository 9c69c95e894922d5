import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, readSafetensors, writeSafetensors } from './safetensors';

function bytesOf(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata, with an 8-byte aligned header', () => {
    const a = Float32Array.from([1, -2.5, 3e-8, 4, 5, 6]);
    const b = Float32Array.from([Math.PI]);
    const bytes = writeSafetensors(
      [
        { name: '_read_in.weight', dtype: 'F32', shape: [2, 3], data: a },
        { name: 'x', dtype: 'F32', shape: [1], data: b },
      ],
      { format: 'pt', task: 'linear-regression' },
    );
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const file = readSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', task: 'linear-regression' });
    expect(file.tensors.get('_read_in.weight')?.shape).toEqual([2, 3]);
    expect([...(file.tensors.get('_read_in.weight')?.data ?? [])]).toEqual([...a]);
    expect(file.tensors.get('x')?.data[0]).toBeCloseTo(Math.PI, 6);
  });

  it('matches the byte layout of the reference format (hand-built file)', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const file = readSafetensors(bytesOf({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data));
    expect([...(file.tensors.get('w')?.data ?? [])]).toEqual([1, 2]);
  });

  it('reads float64 tensors as float32', () => {
    const data = new Uint8Array(new Float64Array([0.5, -1]).buffer);
    const file = readSafetensors(
      bytesOf({ w: { dtype: 'F64', shape: [1, 2], data_offsets: [0, 16] } }, data),
    );
    expect([...(file.tensors.get('w')?.data ?? [])]).toEqual([0.5, -1]);
  });

  it.each([
    ['too short', new Uint8Array(3)],
    ['header longer than the file', bytesOf({}, new Uint8Array()).fill(255, 0, 8)],
    [
      'header not JSON',
      (() => {
        const b = bytesOf({ a: 1 }, new Uint8Array());
        b[9] = 0x7b;
        b[10] = 0x7b;
        return b;
      })(),
    ],
    [
      'offsets past the end',
      bytesOf({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
    ],
    [
      'size not matching the shape',
      bytesOf({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
    ],
    ['unknown dtype', bytesOf({ w: { dtype: 'F99', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8))],
    [
      'negative shape',
      bytesOf({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, new Uint8Array(8)),
    ],
    [
      'overlapping tensors',
      bytesOf(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      ),
    ],
  ])('rejects a corrupt file: %s', (_, bytes) => {
    expect(() => readSafetensors(bytes)).toThrow(CheckpointFormatError);
  });

  it('refuses to write a tensor whose data does not fill its shape', () => {
    expect(() =>
      writeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], data: new Float32Array(2) }]),
    ).toThrow(/3 values/);
  });
});
