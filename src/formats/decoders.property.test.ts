/**
 * Property tests of the decoders of everything that arrives from outside: share links and recorded
 * runs (checkpoints: src/train/checkpoint.property.test.ts). Whatever the input, a decoder returns
 * (never throws), and what it lets through is valid. Runs are seeded; when a run fails, fast-check
 * prints its seed and path: add them to REGRESSIONS below so the case is replayed on every run.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { deflateSync, gunzipSync, gzipSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../schema/experiment';
import { LIMITS } from '../schema/limits';
import { TASKS } from '../tasks';
import { decodeReplay } from './replay';
import { decodeShareFragment, encodeShareFragment } from './share-link';

/** A failing run found earlier: replayed with its seed and path (`note` says what it found). */
interface Regression {
  seed: number;
  path: string;
  note: string;
}

/**
 * Run `property` on fresh cases from `seed`, then replay the kept regressions of this property (a
 * property is named by its seed: a path only means something to the property that printed it).
 */
function check<T>(
  property: fc.IProperty<T>,
  numRuns: number,
  seed: number,
  regressions: readonly Regression[],
) {
  fc.assert(property, { numRuns, seed });
  for (const r of regressions) {
    if (r.seed === seed) fc.assert(property, { seed: r.seed, path: r.path, endOnFailure: true });
  }
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A JSON path to somewhere inside `value`, and a new value to put there. */
function setAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  if (typeof root !== 'object' || root === null) return root;
  const [head, ...rest] = path;
  const keys = Object.keys(root);
  if (keys.length === 0) return root;
  const key = Array.isArray(root) ? Number(head) % root.length : keys[Number(head) % keys.length];
  const copy = (Array.isArray(root) ? [...root] : { ...root }) as Record<string | number, unknown>;
  copy[key] = setAt((root as Record<string | number, unknown>)[key], rest, value);
  return copy;
}

const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, 1e-320, '', 'NaN', null, [], {}),
  fc.double(),
);
const jsonPath = fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 6 });

describe('share links: decodeShareFragment', () => {
  const SHARE_REGRESSIONS: Regression[] = [];

  it('any deflated JSON in a link gives a valid experiment and never throws', () => {
    check(
      fc.property(anyJson, fc.boolean(), (json, classroom) => {
        const payload = b64url(deflateSync(strToU8(JSON.stringify(json) ?? 'null')));
        const link = decodeShareFragment(
          `#x=${payload}${classroom ? '&lock=task,models&hide=settings' : ''}`,
        );
        expect(link).not.toBeNull();
        expect(parseExperiment(link?.experiment).ok).toBe(true);
      }),
      300,
      1401,
      SHARE_REGRESSIONS,
    );
  });

  it('a real link with one field replaced by anything gives a valid experiment', () => {
    const task = fc.constantFrom(...TASKS.map((t) => t.name));
    check(
      fc.property(task, jsonPath, anyJson, (name, path, value) => {
        const e = parseExperiment({ version: 1, task: { name }, seed: 7, evaluation: { prompts: 64 } });
        if (!e.ok) throw new Error(e.errors.join());
        const compact = linkJson(encodeShareFragment(e.experiment)) as Record<string, unknown>;
        const edited = setAt(
          { ...compact, task: compact.task ?? {}, models: compact.models ?? [{}] },
          path,
          value,
        );
        const link = decodeShareFragment(
          `#x=${b64url(deflateSync(strToU8(JSON.stringify(edited) ?? 'null')))}`,
        );
        expect(link).not.toBeNull();
        expect(parseExperiment(link?.experiment).ok).toBe(true);
      }),
      150,
      1402,
      SHARE_REGRESSIONS,
    );
  });

  it('valid experiments round-trip exactly, at any value within the limits', () => {
    const task = fc.constantFrom(...TASKS.map((t) => t.name));
    const int = (r: { min: number; max: number }) => fc.integer({ min: r.min, max: r.max });
    check(
      fc.property(
        task,
        int(LIMITS.seed),
        int(LIMITS.batchSize),
        int(LIMITS.evaluation.prompts),
        int(LIMITS.steps),
        (name, seed, batchSize, prompts, steps) => {
          const e = parseExperiment({
            version: 1,
            task: { name },
            seed,
            batchSize,
            steps,
            evaluation: { prompts },
          });
          if (!e.ok) throw new Error(e.errors.join());
          const link = decodeShareFragment(encodeShareFragment(e.experiment));
          expect(link?.warnings).toEqual([]);
          expect(link?.experiment).toEqual(e.experiment);
        },
      ),
      100,
      1403,
      SHARE_REGRESSIONS,
    );
  });
});

/** The JSON inside a link of our own encoder (fflate's one-shot inflate is fine for it). */
function linkJson(fragment: string): unknown {
  const x = new URLSearchParams(fragment.replace(/^#/, '')).get('x') ?? '';
  return JSON.parse(strFromU8(inflateSync(Buffer.from(x, 'base64url'))));
}

describe('recorded runs: decodeReplay', () => {
  const REPLAY_REGRESSIONS: Regression[] = [];
  const file = new Uint8Array(
    readFileSync(new URL('../../public/replays/linear-regression.iclreplay', import.meta.url)),
  );
  const json = JSON.parse(strFromU8(gunzipSync(file)));

  const refused = (bytes: Uint8Array) => {
    const r = decodeReplay(bytes);
    if (!r.ok) expect(r.error).toMatch(/^This recorded run cannot be played: /);
    return r;
  };

  it('arbitrary bytes, gzip’d or not, are refused with a readable message', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, gz) => {
        const r = refused(gz ? gzipSync(bytes) : bytes);
        expect(r.ok).toBe(false);
      }),
      300,
      1501,
      REPLAY_REGRESSIONS,
    );
  });

  it('a real recording with flipped or cut bytes never throws', () => {
    check(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (flips, cut) => {
          const bytes = file.slice(0, cut === undefined ? file.length : cut % file.length);
          for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
          refused(bytes);
        },
      ),
      16,
      1502,
      REPLAY_REGRESSIONS,
    );
  });

  it('a real recording with one JSON field replaced by anything never throws; what loads is well-formed', () => {
    check(
      fc.property(jsonPath, anyJson, (path, value) => {
        const r = refused(strToU8(JSON.stringify(setAt(json, path, value))));
        if (r.ok) {
          expect(parseExperiment(r.replay.experiment).ok).toBe(true);
          for (const m of r.replay.models) {
            for (let i = 1; i < m.loss.x.length; i++)
              expect(m.loss.x[i]).toBeGreaterThanOrEqual(m.loss.x[i - 1]);
          }
        }
      }),
      24,
      1503,
      REPLAY_REGRESSIONS,
    );
  });
});
