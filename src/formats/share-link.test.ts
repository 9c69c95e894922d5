import fc from 'fast-check';
import { deflateSync, inflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { defaultExperiment, parseExperiment } from '../schema/experiment';
import {
  decodeShareFragment,
  decodeViewFragment,
  difference,
  encodeShareFragment,
  encodeViewFragment,
  MAX_LINK_PAYLOAD,
  overlay,
} from './share-link';

function custom() {
  const r = parseExperiment({
    version: 1,
    task: { name: 'sparse-parity', params: { d: 8, nPoints: 60 } },
    models: [
      { arch: 'mamba', dModel: 32, nLayer: 2 },
      { arch: 'transformer', dModel: 32, nHead: 4 },
    ],
    optimizer: { lr: 1e-3 },
    batchSize: 32,
    steps: 3000,
    seed: 1234,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.experiment;
}

describe('share links', () => {
  it('round-trip an experiment exactly', () => {
    const e = custom();
    const fragment = encodeShareFragment(e);
    expect(fragment).toMatch(/^x=[A-Za-z0-9_-]+$/);
    const back = decodeShareFragment(`#${fragment}`);
    expect(back?.warnings).toEqual([]);
    expect(back?.experiment).toEqual(e);
    expect(back?.classroom).toBeNull();
    expect(back?.unreadable).toBe(false);
  });

  it('round-trip a custom curriculum and a task-derived one', () => {
    const r = parseExperiment({
      version: 1,
      task: { name: 'linear-regression', params: { d: 6, nPoints: 15 } },
      curriculum: {
        dims: { start: 2, end: 6, inc: 1, interval: 50 },
        points: { start: 5, end: 15, inc: 2, interval: 50 },
      },
    });
    if (!r.ok) throw new Error(r.errors.join());
    const back = decodeShareFragment(encodeShareFragment(r.experiment));
    expect(back?.warnings).toEqual([]);
    expect(back?.experiment.curriculum).toEqual(r.experiment.curriculum);
    const derived = parseExperiment({ version: 1, task: { name: 'linear-regression', params: { d: 6 } } });
    if (!derived.ok) throw new Error(derived.errors.join());
    expect(decodeShareFragment(encodeShareFragment(derived.experiment))?.experiment).toEqual(
      derived.experiment,
    );
  });

  it('store only non-default values: the default experiment is a tiny link', () => {
    const small = encodeShareFragment(defaultExperiment('linear-regression'));
    const big = encodeShareFragment(custom());
    expect(small.length).toBeLessThan(60);
    expect(big.length).toBeGreaterThan(small.length);
    expect(decodeShareFragment(small)?.experiment).toEqual(defaultExperiment('linear-regression'));
  });

  it('carry classroom locks and hidden panels', () => {
    const fragment = encodeShareFragment(custom(), {
      lock: ['task', 'models'],
      hide: ['settings', 'attention'],
    });
    const back = decodeShareFragment(fragment);
    expect(back?.classroom).toEqual({ lock: ['task', 'models'], hide: ['settings', 'attention'] });
    expect(back?.experiment).toEqual(custom());
  });

  it('a plain visit has no experiment', () => {
    expect(decodeShareFragment('')).toBeNull();
    expect(decodeShareFragment('#')).toBeNull();
    expect(decodeShareFragment('#about')).toBeNull();
  });

  it('a truncated or corrupt link opens the default experiment with a readable message', () => {
    const fragment = encodeShareFragment(custom());
    for (const bad of [
      fragment.slice(0, fragment.length - 7),
      'x=%%%',
      'x=AAAA',
      'x=eJzLSM3JyVcozy/KSQEAGgQEXQ',
      `x=${'A'.repeat(MAX_LINK_PAYLOAD + 10)}`,
    ]) {
      const back = decodeShareFragment(bad);
      expect(back).not.toBeNull();
      expect(back!.warnings.length).toBeGreaterThan(0);
      expect(back!.warnings[0]).toMatch(/^link: /);
      expect(back!.unreadable).toBe(true);
      expect(parseExperiment(back!.experiment).ok).toBe(true);
    }
  });

  it('a hand-edited link with out-of-range values is clamped to the nearest valid experiment', () => {
    const fragment = encodeShareFragment(custom());
    const payload = JSON.parse(
      new TextDecoder().decode(
        // decode the payload by hand, edit, re-encode through the same codec path
        (() => {
          const b64 = fragment.slice(2).replace(/-/g, '+').replace(/_/g, '/');
          return inflateSync(
            Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0)),
          );
        })(),
      ),
    );
    payload.batchSize = 1e9;
    payload.models[0].dModel = -5;
    const bytes = deflateSync(new TextEncoder().encode(JSON.stringify(payload)));
    const edited = `x=${btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')}`;
    const back = decodeShareFragment(edited)!;
    expect(back.experiment.batchSize).toBe(1024);
    expect(back.experiment.models[0].dModel).toBe(4);
    expect(back.warnings.join('\n')).toMatch(/batchSize/);
  });

  it('never throws, whatever the fragment', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const back = decodeShareFragment(s);
        if (back) expect(parseExperiment(back.experiment).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.base64String({ maxLength: 400 }), (s) => {
        const back = decodeShareFragment(`x=${s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')}`);
        expect(back && parseExperiment(back.experiment).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('difference and overlay are inverse', () => {
    const base = { a: 1, b: { c: 2, d: [1, 2] }, e: 'x' };
    const value = { a: 1, b: { c: 3, d: [1, 2] }, e: 'y' };
    const d = difference(value, base);
    expect(d).toEqual({ b: { c: 3 }, e: 'y' });
    expect(overlay(base, d!)).toEqual(value);
  });
});

describe('view links (lessons and recordings)', () => {
  it('round-trips a lesson step and a recording, with or without a classroom', () => {
    const lesson = encodeViewFragment({ kind: 'lesson', lesson: 'mamba-icl', step: 2 });
    expect(lesson).toBe('lesson=mamba-icl&step=3&lv=1');
    expect(decodeViewFragment(`#${lesson}`)).toEqual({
      view: { kind: 'lesson', lesson: 'mamba-icl', step: 2 },
      classroom: null,
      warnings: [],
    });
    const room = { lock: ['task', 'seed'], hide: ['settings'] };
    const replay = encodeViewFragment({ kind: 'replay', file: 'vector-mqar.iclreplay' }, room);
    expect(decodeViewFragment(replay)).toEqual({
      view: { kind: 'replay', file: 'vector-mqar.iclreplay' },
      classroom: room,
      warnings: [],
    });
    const open = decodeViewFragment(
      encodeViewFragment({ kind: 'replay', file: 'a' }, { lock: [], hide: [] }),
    );
    expect(open?.classroom).toEqual({ lock: [], hide: [] });
  });

  it('reads the short hand-written form, repairs bad steps and warns on newer versions', () => {
    expect(decodeViewFragment('lesson=mamba-icl&step=2')?.view).toEqual({
      kind: 'lesson',
      lesson: 'mamba-icl',
      step: 1,
    });
    expect(decodeViewFragment('lesson=mamba-icl')?.view).toEqual({
      kind: 'lesson',
      lesson: 'mamba-icl',
      step: 0,
    });
    const bad = decodeViewFragment('lesson=mamba-icl&step=-4');
    expect(bad?.view).toEqual({ kind: 'lesson', lesson: 'mamba-icl', step: 0 });
    expect(bad?.warnings[0]).toMatch(/not a step/);
    expect(decodeViewFragment('lesson=mamba-icl&lv=9')?.warnings[0]).toMatch(/newer version/);
    expect(decodeViewFragment('replay=../etc/passwd')?.warnings[0]).toMatch(/not a recorded run/);
    // not view links
    expect(decodeViewFragment('')).toBeNull();
    expect(decodeViewFragment('x=abc&lesson=mamba-icl')).toBeNull();
    expect(decodeViewFragment('section-2')).toBeNull();
  });
});
