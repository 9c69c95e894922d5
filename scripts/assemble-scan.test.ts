/** The committed scan module is the .wat assembled: source and binary cannot drift apart. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleScan, MODULE_PATH, moduleSource, WAT_PATH } from './assemble-scan';

describe('scan-simd-module.ts', () => {
  it('is scan-simd.wat assembled (run `npm run wasm:scan` after editing the .wat)', async () => {
    const bytes = await assembleScan();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(readFileSync(MODULE_PATH, 'utf8')).toBe(moduleSource(bytes));
  });

  it('would notice an edited .wat', async () => {
    const text = readFileSync(WAT_PATH, 'utf8').replace('f32x4 88 88 88 88', 'f32x4 87 87 87 87');
    expect(readFileSync(MODULE_PATH, 'utf8')).not.toBe(moduleSource(await assembleScan(text)));
  });
});
