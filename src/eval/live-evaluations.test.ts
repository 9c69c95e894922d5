import { describe, expect, it } from 'vitest';
import { addEvaluation, type LiveEvaluation } from './live-evaluations';

const ev = (step: number): LiveEvaluation => ({ step, sets: [] });
const steps = (h: readonly LiveEvaluation[]) => h.map((e) => e.step);

describe('addEvaluation', () => {
  it('appends evaluations in step order', () => {
    let h: LiveEvaluation[] = [];
    for (const s of [100, 200, 300]) h = addEvaluation(h, ev(s));
    expect(steps(h)).toEqual([100, 200, 300]);
  });

  it('replaces an evaluation of the same step and drops later ones after a step back', () => {
    const h = [ev(100), ev(200), ev(300)];
    expect(steps(addEvaluation(h, ev(300)))).toEqual([100, 200, 300]);
    expect(addEvaluation(h, ev(300))[2]).not.toBe(h[2]);
    // a reload from the checkpoint of step 150: the evaluations of 200 and 300 belong to the lost steps
    expect(steps(addEvaluation(h, ev(150)))).toEqual([100, 150]);
    // a reset: training starts again
    expect(steps(addEvaluation(h, ev(0)))).toEqual([0]);
  });

  it('keeps at most `max` evaluations, the newest', () => {
    let h: LiveEvaluation[] = [];
    for (let s = 1; s <= 10; s++) h = addEvaluation(h, ev(s * 10), 4);
    expect(steps(h)).toEqual([70, 80, 90, 100]);
  });

  it('does not change the history it was given', () => {
    const h = [ev(100), ev(200)];
    addEvaluation(h, ev(50));
    expect(steps(h)).toEqual([100, 200]);
  });
});
