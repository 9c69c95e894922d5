import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { uniqueNames, zipFiles } from './zip';

describe('zip of exports', () => {
  it('holds every file with its bytes, text and binary', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const zip = zipFiles([
      { name: 'data/curves.csv', data: 'a,b\r\n1,2\r\n' },
      { name: 'charts/loss.png', data: png },
    ]);
    // a zip starts with a local file header
    expect([...zip.subarray(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['charts/loss.png', 'data/curves.csv']);
    expect(strFromU8(files['data/curves.csv'])).toBe('a,b\r\n1,2\r\n');
    expect([...files['charts/loss.png']]).toEqual([...png]);
  });

  it('keeps two files of the same name apart', () => {
    expect(uniqueNames(['a.png', 'a.png', 'b', 'b', 'a.png', 'x.y/z'])).toEqual([
      'a.png',
      'a-2.png',
      'b',
      'b-2',
      'a-3.png',
      'x.y/z',
    ]);
    const files = unzipSync(
      zipFiles([
        { name: 'm.png', data: 'one' },
        { name: 'm.png', data: 'two' },
      ]),
    );
    expect(strFromU8(files['m.png'])).toBe('one');
    expect(strFromU8(files['m-2.png'])).toBe('two');
  });

  it('gives the same bytes for the same files', () => {
    const entries = [{ name: 'a.txt', data: 'hello' }];
    expect(zipFiles(entries)).toEqual(zipFiles(entries));
  });
});
