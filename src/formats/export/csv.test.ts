import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv';
import { parseCsv } from './test-data';

describe('CSV', () => {
  it('quotes only what needs it and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(Number.POSITIVE_INFINITY)).toBe('');
    expect(csvField(null)).toBe('');
  });

  it('round-trips awkward cells through a strict reader', () => {
    const rows = [
      ['Lasso (α = 0.01)', 'x,y', '"quoted"', 1e-7],
      ['multi\r\nline', '', ' lead', -3],
    ];
    const text = toCsv(['label', 'a', 'b', 'n'], rows);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([
      ['label', 'a', 'b', 'n'],
      ['Lasso (α = 0.01)', 'x,y', '"quoted"', '1e-7'],
      ['multi\r\nline', '', ' lead', '-3'],
    ]);
  });

  it('refuses a row of the wrong width', () => {
    expect(() => toCsv(['a', 'b'], [['1']])).toThrow(/1 fields/);
  });
});
