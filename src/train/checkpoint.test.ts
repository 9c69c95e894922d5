import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  describeLoadReport,
  inspectCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  trainerFromCheckpoint,
} from './checkpoint';
import { readSafetensors, writeSafetensors } from './safetensors';
import { tinyExperiment } from './test-experiments';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function losses(t: Trainer): number[] {
  return t.state().history.map((r) => r.loss);
}

describe('checkpoints', () => {
  it('writes the state_dict names and PyTorch shapes, with the experiment as metadata', async () => {
    const e = tinyExperiment(['transformer', 'mamba']);
    const t = new Trainer(e, 0);
    await t.train(2);
    const files = await saveCheckpoint(t);
    const file = readSafetensors(files.model);
    expect(file.metadata.format).toBe('pt');
    expect(file.metadata.icl_lab).toBe('model');
    expect(file.metadata.step).toBe('2');
    expect(file.metadata.model_index).toBe('0');
    expect(JSON.parse(file.metadata.experiment)).toEqual(JSON.parse(JSON.stringify(e)));
    expect([...file.tensors.keys()]).toEqual([...t.model.variables.keys()]);
    // nn.Linear [out, in]; HF GPT-2 Conv1D [in, out]
    expect(file.tensors.get('_read_in.weight')?.shape).toEqual([8, 2]);
    expect(file.tensors.get('_backbone.h.0.attn.c_attn.weight')?.shape).toEqual([8, 24]);
    expect(file.tensors.get('_backbone.h.0.mlp.c_fc.weight')?.shape).toEqual([8, 32]);
    expect(file.tensors.get('_read_out.weight')?.shape).toEqual([1, 8]);
    const opt = readSafetensors(files.optimizer!);
    expect(opt.metadata.icl_lab).toBe('adam');
    expect(opt.metadata.adam_step).toBe('2');
    expect(opt.tensors.get('exp_avg._read_in.weight')?.shape).toEqual([8, 2]);
    expect(opt.tensors.size).toBe(2 * t.model.variables.size);
    t.dispose();

    const m = new Trainer(e, 1);
    const mf = readSafetensors((await saveCheckpoint(m, { optimizer: false })).model);
    expect(mf.tensors.get('_backbone.layers.0.mixer.in_proj.weight')?.shape).toEqual([32, 8]);
    expect(mf.tensors.get('_backbone.layers.0.mixer.conv1d.weight')?.shape).toEqual([16, 1, 2]);
    expect(mf.tensors.get('_backbone.layers.0.mixer.A_log')?.shape).toEqual([16, 4]);
    m.dispose();
  });

  it('round-trips: a loaded trainer continues exactly like the original', async () => {
    const e = tinyExperiment(['mambaformer']);
    const a = new Trainer(e, 0);
    await a.train(6, { readEvery: 3 });
    const files = await saveCheckpoint(a);
    await a.train(5);
    const continued = losses(a).slice(6);

    const b = new Trainer(tinyExperiment(['mambaformer'], { seed: 99 }), { ...e.models[0] });
    const report = await loadCheckpoint(b, files, { strict: false });
    expect(report.ok).toBe(true);
    expect(report.step).toBe(6);
    expect(report.missing).toEqual([]);
    expect(report.warnings.join(' ')).toMatch(/different experiment/);
    b.dispose();

    const { trainer: c, report: r2 } = await trainerFromCheckpoint(files);
    expect(r2.ok).toBe(true);
    expect(describeLoadReport(r2)).toEqual([]);
    expect(c!.stepCount).toBe(6);
    expect(c!.optimizer.stepCount).toBe(6);
    const wa = await a.model.getWeights();
    await c!.train(5);
    expect(losses(c!)).toEqual(continued);
    // both trained steps 0-10 on the same batches: identical weights
    const wc = await c!.model.getWeights();
    expect([...wc.get('_read_in.bias')!]).toEqual([...wa.get('_read_in.bias')!]);
    c!.dispose();
    a.dispose();
  });

  it('reports missing, unexpected, shape and dtype mismatches without throwing or loading', async () => {
    const t = new Trainer(tinyExperiment(['transformer']), 0);
    const files = await saveCheckpoint(t);
    const file = readSafetensors(files.model);
    const tensors = [...file.tensors.values()].filter((x) => x.name !== '_read_out.bias');
    const wrong = tensors.map((x) =>
      x.name === '_read_in.weight'
        ? { ...x, shape: [2, 8] }
        : x.name === '_read_in.bias'
          ? { ...x, shape: [1, 8] }
          : x,
    );
    wrong.push({ name: 'extra.weight', dtype: 'F32', shape: [1], data: new Float32Array(1) });
    wrong.push({ name: '_backbone.wte.weight', dtype: 'F32', shape: [1], data: new Float32Array(1) });
    const bad = writeSafetensors(wrong, file.metadata);
    const before = await t.model.getWeights();
    const report = await loadCheckpoint(t, { model: bad });
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual(['_read_out.bias']);
    expect(report.unexpected).toEqual(['extra.weight']);
    expect(report.ignored).toEqual(['_backbone.wte.weight']);
    expect(report.shapeMismatches).toEqual([
      { name: '_read_in.weight', expected: [8, 2], found: [2, 8] },
      { name: '_read_in.bias', expected: [8], found: [1, 8] },
    ]);
    const lines = describeLoadReport(report).join('\n');
    expect(lines).toMatch(/missing from the file \(1\): _read_out.bias/);
    expect(lines).toMatch(/_read_in.weight: shape \[2,8\] in the file, the model needs \[8,2\]/);
    expect(lines).toMatch(/not in the model \(1\): extra.weight/);
    // strict: nothing changed
    expect([...(await t.model.getWeights()).get('_backbone.ln_f.weight')!]).toEqual([
      ...before.get('_backbone.ln_f.weight')!,
    ]);
    // non-strict: the matching tensors load
    const loose = await loadCheckpoint(t, { model: bad }, { strict: false });
    expect(loose.ok).toBe(true);
    expect(loose.loaded).toContain('_backbone.ln_f.weight');
    expect(loose.loaded).not.toContain('_read_in.weight');

    // a tensor of another dtype (int64) is a dtype mismatch, not a crash
    const header = { '_read_out.bias': { dtype: 'I64', shape: [1], data_offsets: [0, 8] } };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const i64 = new Uint8Array(8 + json.length + 8);
    new DataView(i64.buffer).setBigUint64(0, BigInt(json.length), true);
    i64.set(json, 8);
    const r3 = await loadCheckpoint(t, { model: i64 });
    expect(r3.dtypeMismatches).toEqual([{ name: '_read_out.bias', expected: 'F32', found: 'I64' }]);
    expect(r3.missing.length).toBe(t.model.variables.size - 1);

    // corrupt files and swapped files
    const r4 = await loadCheckpoint(t, { model: new Uint8Array([1, 2, 3]) });
    expect(r4.ok).toBe(false);
    expect(r4.errors[0]).toMatch(/model file: not a safetensors file/);
    const r5 = await loadCheckpoint(t, { model: files.optimizer! });
    expect(r5.errors[0]).toMatch(/optimiser file/);
    const r6 = await loadCheckpoint(t, { model: files.model, optimizer: files.model });
    expect(r6.ok).toBe(false);
    expect(r6.errors.join()).toMatch(/not Adam's state/);
    expect(inspectCheckpoint(new Uint8Array(4)).errors.length).toBe(1);
    const { trainer, report: r7 } = await trainerFromCheckpoint({
      model: writeSafetensors([], { step: '1' }),
    });
    expect(trainer).toBeNull();
    expect(r7.errors.join()).toMatch(/no experiment/);
    t.dispose();
  });

  it('restarts the optimiser when no optimiser file is given', async () => {
    const t = new Trainer(tinyExperiment(), 0);
    await t.train(3);
    const files = await saveCheckpoint(t, { optimizer: false });
    expect(files.optimizer).toBeUndefined();
    const u = new Trainer(tinyExperiment(), 0);
    const r = await loadCheckpoint(u, files);
    expect(r.ok).toBe(true);
    expect(r.warnings.join()).toMatch(/Adam restarts/);
    expect(u.optimizer.stepCount).toBe(0);
    expect(u.stepCount).toBe(3);
    t.dispose();
    u.dispose();
  });

  it('writes a tied read-out under its PyTorch name and keeps the position rows', async () => {
    const e = tinyExperiment(['transformer'], {}, 'token-mqar', { vocab: 16, pairs: 3, queries: 2 });
    const t = new Trainer(e, 0, { positionRows: 20 });
    expect(t.model.variables.has('_read_out.weight')).toBe(false);
    const files = await saveCheckpoint(t);
    const file = readSafetensors(files.model);
    expect([...file.tensors.get('_read_out.weight')!.data]).toEqual([
      ...file.tensors.get('_read_in.weight')!.data,
    ]);
    expect(file.tensors.get('_backbone.wpe.weight')?.shape).toEqual([20, 8]);
    const { trainer, report } = await trainerFromCheckpoint(files);
    expect(report.ok).toBe(true);
    expect(report.ignored).toEqual(['_read_out.weight']);
    expect(trainer!.positionRows).toBe(20);
    trainer!.dispose();
    const plain = new Trainer(e, 0);
    const r = await loadCheckpoint(plain, files);
    expect(r.ok).toBe(false);
    expect(r.shapeMismatches).toEqual([
      { name: '_backbone.wpe.weight', expected: [plain.maxSeqLen, 8], found: [20, 8] },
    ]);
    plain.dispose();
    t.dispose();
  });
});
