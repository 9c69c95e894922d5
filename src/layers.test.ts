/**
 * The layer rules of docs/ARCHITECTURE.md, checked on every import of src/: arrows run down only.
 *
 * Order, bottom up (a folder may import its own layer and any layer below it):
 *   random < tasks < baselines < models < schema < eval < formats < train < kernels < workers
 *   < app < ui < cli   (main.tsx, the page's entry, sits on top)
 * And some arrows are refused whatever the order says: the page (app/, ui/) never loads tfjs, the
 * models, the trainer or the kernels (they run in workers); the CLI never reaches into the page or
 * the workers (what it shares with them lives lower down).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAYERS = [
  'random',
  'tasks',
  'baselines',
  'models',
  'schema',
  'eval',
  'formats',
  'train',
  'kernels',
  'workers',
  'app',
  'ui',
  'cli',
  'main.tsx',
  // the proof that a task is one file: checks every consumer, from the schema to the page and the CLI
  'new-task.test.ts',
] as const;

/** Imports refused to a folder whatever the order (prefixes of a path under src/, or package names). */
const REFUSED: ReadonlyArray<{ from: string; to: string; why: string }> = [
  ...['app/', 'ui/'].flatMap((from) => [
    { from, to: '@tensorflow/', why: 'the page never loads tfjs' },
    { from, to: 'models/', why: 'models run in the training workers' },
    { from, to: 'train/trainer', why: 'training runs in the training workers' },
    { from, to: 'kernels/', why: 'kernels run in the training workers' },
  ]),
  ...['schema/', 'eval/', 'tasks/'].flatMap((from) =>
    ['workers/', 'app/', 'ui/'].map((to) => ({ from, to, why: 'pure layers know nothing of the page' })),
  ),
  { from: 'cli/', to: 'app/', why: 'the CLI shares nothing with the page' },
  { from: 'cli/', to: 'workers/', why: 'the CLI shares nothing with the workers' },
];

/**
 * Upward arrows allowed in test files only, each for a fixture: the baselines' tests score through
 * the shared evaluator, the replay format's and the PyTorch config's tests build their experiments
 * from the training fixtures, the recall task's test scores its targets with the shared metric.
 */
const TEST_EXCEPTIONS: ReadonlyArray<{ from: string; to: string }> = [
  { from: 'baselines/', to: 'eval/baselines' },
  { from: 'formats/replay.test.ts', to: 'train/presets' },
  { from: 'formats/pytorch-config.test.ts', to: 'train/test-experiments' },
  { from: 'tasks/mqar.test.ts', to: 'eval/score' },
];

interface ImportEdge {
  /** the importing file, relative to src/ ('app/race/race.ts') */
  from: string;
  /** the imported file relative to src/ ('schema/experiment'), or a package name ('@tensorflow/tfjs') */
  to: string;
}

const layerOf = (path: string): number => LAYERS.indexOf(path.split('/')[0] as (typeof LAYERS)[number]);

/** What is wrong with these imports (one readable line each; none: the layers hold). */
function layerViolations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const isTest = /\.test\.tsx?$/.test(from);
    const refused = REFUSED.find((r) => from.startsWith(r.from) && `${to}/`.startsWith(r.to));
    if (refused) {
      problems.push(`${from} imports ${to}: ${refused.why}`);
      continue;
    }
    const a = layerOf(from);
    const b = layerOf(to);
    if (a < 0 || b < 0 || b <= a) continue;
    if (isTest && TEST_EXCEPTIONS.some((x) => from.startsWith(x.from) && to.startsWith(x.to))) continue;
    problems.push(`${from} imports ${to}: ${LAYERS[b]} is above ${LAYERS[a]}`);
  }
  return problems;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\bvi\.mock\(\s*|new URL\(\s*)(['"])([^'"\n]+)\1/g;

/** Every import of one source file: relative ones resolved against src/, packages as named. */
function importsOf(file: string, source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const spec = m[2];
    if (spec.startsWith('.')) {
      const to = normalize(join(dirname(file), spec)).replace(/\\/g, '/');
      if (!to.startsWith('..')) edges.push({ from: file, to });
    } else if (!spec.startsWith('node:')) edges.push({ from: file, to: spec });
  }
  return edges;
}

const SRC = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string, pattern = /\.(ts|tsx)$/): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path, pattern);
    return pattern.test(entry.name) ? [relative(SRC, path).replace(/\\/g, '/')] : [];
  });
}

/** The files of src/ allowed over 500 lines: the first column of the last table of docs/ARCHITECTURE.md. */
function longFilesAllowed(doc: string): string[] {
  const section = doc.slice(doc.indexOf('## Files over 500 lines'));
  return [...section.matchAll(/^\| `src\/([^`]+)` \|/gm)].map((m) => m[1]);
}

describe('file length', () => {
  it('keeps every file of src/ at 500 lines or fewer, apart from those listed with a reason', () => {
    const doc = readFileSync(join(SRC, '..', 'docs', 'ARCHITECTURE.md'), 'utf8');
    const allowed = longFilesAllowed(doc);
    expect(allowed).toContain('workers/training/session.ts');
    const files = sourceFiles(SRC, /\.(ts|tsx|css)$/);
    const long = files.filter((f) => readFileSync(join(SRC, f), 'utf8').split('\n').length > 501);
    expect(long.filter((f) => !allowed.includes(f))).toEqual([]);
  });
});

describe('layers', () => {
  it('every import of src/ runs down the layers', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(100);
    const edges = files.flatMap((f) => importsOf(f, readFileSync(join(SRC, f), 'utf8')));
    expect(edges.length).toBeGreaterThan(500);
    expect(layerViolations(edges)).toEqual([]);
  });

  it('finds upward and refused imports (synthetic files)', () => {
    const edges = [
      ...importsOf('schema/experiment.ts', "import { race } from '../app/race/race';"),
      ...importsOf('ui/charts/LossChart.tsx', "import * as tf from '@tensorflow/tfjs';"),
      ...importsOf('app/race/race.ts', "import type { ProbeResult } from '../../models/probes';"),
      ...importsOf('app/race/race.ts', "const w = new URL('../../train/trainer.ts', import.meta.url);"),
      ...importsOf('cli/train.ts', "const s = await import('../workers/training/session');"),
      ...importsOf('eval/score.ts', "export { x } from '../train/losses';"),
      ...importsOf('tasks/foo.test.ts', "vi.mock('../ui/App');"),
    ];
    expect(layerViolations(edges)).toEqual([
      'schema/experiment.ts imports app/race/race: pure layers know nothing of the page',
      'ui/charts/LossChart.tsx imports @tensorflow/tfjs: the page never loads tfjs',
      'app/race/race.ts imports models/probes: models run in the training workers',
      'app/race/race.ts imports train/trainer.ts: training runs in the training workers',
      'cli/train.ts imports workers/training/session: the CLI shares nothing with the workers',
      'eval/score.ts imports train/losses: train is above eval',
      'tasks/foo.test.ts imports ui/App: pure layers know nothing of the page',
    ]);
  });

  it('lets a folder import its own layer and those below, and tests their fixtures', () => {
    const edges = [
      ...importsOf('ui/App.tsx', "import { race } from '../app';"),
      ...importsOf('workers/training/session.ts', "import { Trainer } from '../../train/trainer';"),
      ...importsOf('app/race/race.ts', "import { x } from './events';"),
      ...importsOf('formats/replay.test.ts', "import { presetExperiment } from '../train/presets';"),
    ];
    expect(layerViolations(edges)).toEqual([]);
    // the same fixture import outside a test is an upward arrow
    expect(layerViolations([{ from: 'formats/replay.ts', to: 'train/presets' }])).toHaveLength(1);
  });
});
