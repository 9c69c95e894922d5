/**
 * Every recorded run committed in public/replays/: it decodes, and the caption the page shows (and
 * the index's `shows`) is the one generated from its curves, with numbers equal to the recorded
 * ones recomputed here by hand. A caption edited by hand, or a recording replaced without its
 * index, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeReplay, parseReplayIndex, type Replay } from './replay';
import { replayCaption } from './replay-combine';

const DIR = join(__dirname, '../../public/replays');

function committed(): Array<{ file: string; shows: string; steps: number; replay: Replay }> {
  const parsed = parseReplayIndex(JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.index.replays.map((e) => {
    const read = decodeReplay(new Uint8Array(readFileSync(join(DIR, e.file))));
    if (!read.ok) throw new Error(`${e.file}: ${read.error}`);
    return { file: e.file, shows: e.shows, steps: e.steps, replay: read.replay };
  });
}

/** Mean over the second half of the examples (at least half the last count), by hand. */
function regimeMean(examples: ArrayLike<number>, mean: ArrayLike<number>): number {
  const last = Math.max(...Array.from(examples));
  let s = 0;
  let n = 0;
  for (let i = 0; i < examples.length; i++) {
    if (examples[i] >= Math.ceil(last / 2) && Number.isFinite(mean[i])) {
      s += mean[i];
      n++;
    }
  }
  return s / n;
}

/** A printed number matches the value (2 decimals, or 2 significant digits below 0.01). */
function printed(text: string, value: number): void {
  const v = Number(text);
  const tol = Math.abs(value) >= 0.01 ? 0.005 : Math.abs(value) * 0.05;
  expect(Math.abs(v - value), `${text} vs ${value}`).toBeLessThanOrEqual(tol + 1e-15);
}

describe('the committed recorded runs', () => {
  const runs = committed();

  it('are listed and decode', () => {
    expect(runs.length).toBeGreaterThan(0);
  });

  for (const { file, shows, steps, replay } of runs) {
    it(`${file}: the index lists the steps its models trained`, () => {
      expect(steps).toBe(Math.max(...replay.models.map((m) => m.steps)));
    });

    it(`${file}: the index's caption is the generated one, its numbers the recorded ones`, () => {
      const caption = replayCaption(replay);
      expect(shows).toBe(caption);
      const head =
        /^(Error|Accuracy) over [\d-]+ examples at (?:step (\d+)|the last evaluation) \(seed (\d+)\): (.*); (.*)\.$/.exec(
          caption,
        );
      expect(head, caption).not.toBeNull();
      const [, kind, step, seed, clauses, refs] = head!;
      expect(Number(seed)).toBe(replay.experiment.seed);
      const models = replay.models.filter((m) => m.evaluations.length > 0);
      const lastSteps = models.map((m) => m.evaluations[m.evaluations.length - 1].step);
      // "at step N" when every model's last evaluation is at N; "at the last evaluation" when the
      // models stopped at different steps (a run cut short, recorded one model per process)
      if (step === undefined) expect(new Set(lastSteps).size).toBeGreaterThan(1);
      else expect(Number(step)).toBe(Math.max(...lastSteps));
      const found = [
        ...clauses.matchAll(/([A-Za-z0-9 -]+?) ([\d.e-]+) \(([a-z ]+?)(?: since step (\d+))?\)/g),
      ];
      expect(found.map((f) => f[1].replace(/^, /, '').trim()).sort()).toEqual(
        models.map((m) => m.label).sort(),
      );
      for (const [, label, value] of found) {
        const m = models.find((x) => x.label === label.replace(/^, /, '').trim())!;
        const last = m.evaluations[m.evaluations.length - 1];
        const curve = last.sets[0].curves[0];
        printed(value, regimeMean(curve.examples, curve.mean));
      }
      const set0 = models[0].evaluations[0].sets[0];
      if (kind === 'Accuracy') {
        const chance = /^chance ([\d.e-]+), perfect 1$/.exec(refs);
        expect(chance, refs).not.toBeNull();
        printed(chance![1], set0.chance);
      } else {
        const zero = /^predict 0: ([\d.e-]+), /.exec(refs);
        const curve = replay.baselines?.curves.find((c) => c.key === 'zero');
        expect(zero && curve, refs).toBeTruthy();
        const examples = models[0].evaluations[0].sets[0].curves[0].examples;
        const at = new Set(Array.from(examples).filter((x) => x >= Math.ceil(Math.max(...examples) / 2)));
        const keep = Array.from(curve!.examples).map((x) => at.has(x));
        printed(
          zero![1],
          regimeMean(
            Array.from(curve!.examples).filter((_, i) => keep[i]),
            Array.from(curve!.mean).filter((_, i) => keep[i]),
          ),
        );
      }
    });
  }
});
