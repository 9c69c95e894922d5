/**
 * Every block (Mamba, hybrid attention, GPT-2 layer, S4, S4-Mamba; pre-LN residual included)
 * against its float64 reference: forward within 1e-5 relative, and finite-difference gradients of
 * every parameter and of the input.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import type { ArchConfig } from './config';
import {
  type BlockInfo,
  type BlockKind,
  blockForward,
  blockPlan,
  blockSpecs,
  type ForwardSettings,
} from './model';
import { getterOf, type ParamSpec } from './params';
import { getter64 } from './reference64/math';
import { block64 } from './reference64/model';
import { selectiveScanReference, selectiveScanSequential } from './selective-scan-reference';
import {
  checkGradients,
  normalValues,
  randomArray,
  randomParams,
  relativeError,
  tensorsOf,
  uniformValues,
} from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface BlockCase {
  kind: BlockKind;
  config: ArchConfig;
}

const mambaBlock = { dState: 3, dConv: 3, expand: 2 };
const CASES: BlockCase[] = [
  {
    kind: 'mamba',
    config: { arch: 'mamba', dModel: 4, nLayer: 2, ...mambaBlock, dtRank: 2, positionEmbedding: false },
  },
  {
    kind: 'attention',
    config: { arch: 'hybrid', dModel: 8, nLayer: 2, nHead: 2, ...mambaBlock, positionEmbedding: false },
  },
  { kind: 'gpt2', config: { arch: 'transformer', dModel: 8, nLayer: 1, nHead: 2, positionEmbedding: false } },
  { kind: 's4', config: { arch: 's4', dModel: 4, nLayer: 1, dState: 4, positionEmbedding: false } },
  {
    kind: 's4-mamba',
    config: {
      arch: 's4-mamba',
      dModel: 4,
      nLayer: 1,
      dState: 4,
      dConv: 3,
      expand: 2,
      positionEmbedding: false,
    },
  },
];

/** Values that exercise the dynamics: Delta ~ softplus(N(0, 1)), S4D dt in [e^-2, 1]. */
const OVERRIDES = {
  'dt_proj.bias': normalValues(0, 1),
  'kernel.log_dt': uniformValues(-2, 0),
};

function setup(c: BlockCase, seed: number) {
  const block = blockPlan(c.config).find((b) => b.kind === c.kind) as BlockInfo;
  // names relative to the block
  const specs: ParamSpec[] = blockSpecs(c.config, block).map((s) => ({
    ...s,
    name: s.name.slice(block.prefix.length),
  }));
  const params = randomParams(specs, seed, 0.2, OVERRIDES);
  return { block, specs, params };
}

const settings = (config: ArchConfig, scan = selectiveScanReference): ForwardSettings => ({
  config,
  readIn: { kind: 'linear', tokenDim: 1 },
  heads: [],
  selectiveScan: scan,
});

describe('blocks match the float64 reference (forward)', () => {
  for (const c of CASES) {
    for (const l of [1, 4, 7]) {
      it(`${c.kind}, L = ${l}`, () => {
        const { block, specs, params } = setup(c, 11 + l);
        const bt = 2;
        const d = c.config.dModel;
        const x = randomArray(new Rng(l), bt * l * d);
        const ref = block64(c.config, block, getter64(params), x, bt, l);
        const scans =
          c.kind === 'mamba' ? [selectiveScanReference, selectiveScanSequential] : [selectiveScanReference];
        for (const scan of scans) {
          const out = tf.tidy(() => {
            const ts = tensorsOf(specs, params);
            const y = blockForward(
              settings(c.config, scan),
              block,
              0,
              getterOf(ts),
              tf.tensor3d(Float32Array.from(x), [bt, l, d]),
            );
            return y.dataSync().slice();
          });
          expect(relativeError(out, ref)).toBeLessThan(1e-5);
        }
      });
    }
  }
});

describe('blocks: gradients of every parameter and the input vs float64 finite differences', () => {
  for (const c of CASES) {
    it(c.kind, () => {
      const { block, specs, params } = setup(c, 5);
      const bt = 2;
      const l = 5;
      const d = c.config.dModel;
      const rng = new Rng(99);
      const x = randomArray(rng, bt * l * d);
      const w = randomArray(rng, bt * l * d);
      const names = [...specs.map((s) => s.name), 'input'];
      const shapes = [...specs.map((s) => s.shape), [bt, l, d]];
      const values = [...specs.map((s) => params.get(s.name)!), x];
      const result = checkGradients({
        names,
        shapes,
        values,
        tfLoss: (ts) => {
          const m = new Map(specs.map((s, i) => [s.name, ts[i]]));
          const y = blockForward(settings(c.config), block, 0, getterOf(m), ts[ts.length - 1] as tf.Tensor3D);
          return y.mul(tf.tensor3d(Float32Array.from(w), [bt, l, d])).sum() as tf.Scalar;
        },
        refLoss: (vals) => {
          const m = new Map(specs.map((s, i) => [s.name, vals[i]]));
          const y = block64(c.config, block, getter64(m), vals[vals.length - 1], bt, l);
          let acc = 0;
          for (let i = 0; i < y.length; i++) acc += y[i] * w[i];
          return acc;
        },
      });
      expect(result.worstRatio, result.worstEntry).toBeLessThanOrEqual(1);
      expect(result.zeroGradients).toEqual([]);
    });
  }
});
