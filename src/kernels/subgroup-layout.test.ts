/**
 * The subgroup layout check (subgroup-layout.ts): the verdict on answers in and out of invocation
 * order, a device that fails the check or was never checked runs no subgroup program
 * (subgroupMinSize null), and Dawn + SwiftShader's own answer.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { subgroupMinSize } from './runner';
import {
  checkSubgroupLayout,
  judgeSubgroupLayout,
  LAYOUT_INVOCATIONS,
  subgroupLayoutOf,
} from './subgroup-layout';
import { setupWebGpu } from './testing/webgpu';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const inOrder = (size: number) => range(LAYOUT_INVOCATIONS).map((i) => i % size);
const sized = (size: number) => range(LAYOUT_INVOCATIONS).map(() => size);

describe('subgroup layout verdict', () => {
  it('lanes in invocation order, for every power-of-two size from 2 to 128', () => {
    for (const size of [2, 4, 8, 16, 32, 64, 128]) {
      const v = judgeSubgroupLayout(inOrder(size), sized(size), 4 <= size ? 4 : null);
      expect(v).toEqual({ usable: true, size, why: `subgroups of ${size} lanes in invocation order` });
    }
  });

  it('lanes out of invocation order: reversed, or two subgroups interleaved', () => {
    const reversed = range(LAYOUT_INVOCATIONS).map((i) => 31 - (i % 32));
    expect(judgeSubgroupLayout(reversed, sized(32), 32)).toMatchObject({ usable: false, size: 32 });
    expect(judgeSubgroupLayout(reversed, sized(32), 32).why).toContain('invocation 0 is lane 31');
    // even invocations in one subgroup, odd ones in the next
    const interleaved = range(LAYOUT_INVOCATIONS).map((i) => (i % 64) >> 1);
    expect(judgeSubgroupLayout(interleaved, sized(32), null).usable).toBe(false);
    // one lane swapped far into the workgroup is enough
    const swapped = inOrder(32);
    [swapped[200], swapped[201]] = [swapped[201], swapped[200]];
    expect(judgeSubgroupLayout(swapped, sized(32), 32).why).toContain('invocation 200');
  });

  it('sizes that no subgroup program can use', () => {
    const mixed = sized(32);
    mixed[255] = 16;
    expect(judgeSubgroupLayout(inOrder(32), mixed, null).why).toContain('unequal sizes');
    expect(judgeSubgroupLayout(inOrder(1), sized(1), null).usable).toBe(false);
    expect(
      judgeSubgroupLayout(
        range(256).map((i) => i % 24),
        sized(24),
        null,
      ).why,
    ).toContain('not a power of two');
    expect(judgeSubgroupLayout(inOrder(8), sized(8), 16).why).toContain("below the adapter's minimum of 16");
    expect(judgeSubgroupLayout([], [], null).usable).toBe(false);
  });
});

describe('subgroup layout check on a device', () => {
  it('a device whose check fails says why and keeps no subgroup program; it never throws', async () => {
    const device = {
      pushErrorScope: () => undefined,
      popErrorScope: async () => null,
      createShaderModule: () => {
        throw new Error("the extension 'subgroups' is not enabled");
      },
    } as unknown as GPUDevice;
    const v = await checkSubgroupLayout(device, 32);
    expect(v.usable).toBe(false);
    expect(v.why).toContain("the subgroup check failed (the extension 'subgroups' is not enabled)");
    expect(subgroupLayoutOf(device)).toEqual(v);
    const backend = {
      device: Object.assign(device, {
        features: new Set(['subgroups']),
        adapterInfo: { subgroupMinSize: 32 },
      }),
    };
    expect(subgroupMinSize(backend)).toBeNull();
  });

  it('a device never checked runs no subgroup program', () => {
    const device = { features: new Set(['subgroups']), adapterInfo: { subgroupMinSize: 32 } };
    expect(subgroupMinSize({ device })).toBeNull();
  });

  describe('Dawn + SwiftShader', () => {
    let info: Awaited<ReturnType<typeof setupWebGpu>>['info'] = null;
    beforeAll(async () => {
      const r = await setupWebGpu();
      info = r.info;
      if (!info) console.warn(`WebGPU subgroup check skipped: ${r.reason}`);
      else await tf.setBackend('webgpu');
    });

    it('answers in invocation order, and the kernels see its subgroups', (ctx) => {
      if (!info) return ctx.skip();
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      if (!device.features.has('subgroups' as GPUFeatureName)) {
        expect(info.subgroups).toBeUndefined();
        return ctx.skip();
      }
      expect(info.subgroups?.usable).toBe(true);
      expect(subgroupLayoutOf(device)).toEqual(info.subgroups);
      expect(subgroupMinSize(tf.backend())).toBeLessThanOrEqual(info.subgroups?.size ?? 0);
    });
  });
});
