/**
 * Gather recorded runs into the page's replays folder: `npx tsx bench/merge-replays.ts TARGET DIR...`
 * reads each DIR/index.json (written by `train --record DIR/<file>`), checks every replay it lists
 * (the page's own reader, src/formats/replay.ts), copies it to TARGET and adds it to
 * TARGET/index.json (replacing an entry of the same file). For replays recorded in parallel, one
 * folder per process (bench/record-replays.sh). Exits 1 when a replay is unreadable (nothing of
 * that folder is copied).
 *
 * `npx tsx bench/merge-replays.ts --combine TARGET FILE DIR...` joins recordings of one run made one
 * model per process (same task, settings and seed; bench/sweep.sh with --record per model) into
 * TARGET/FILE, in the order given, with the caption generated from the recorded curves.
 * `--recaption TARGET` writes every entry's caption (and its steps) of TARGET/index.json anew from its replay.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeReplay,
  encodeReplay,
  parseReplayIndex,
  type Replay,
  type ReplayIndex,
  recordedSteps,
  upsertReplayIndex,
} from '../src/formats/replay';
import { combineReplays, replayCaption } from '../src/formats/replay-combine';
import { TASKS } from '../src/tasks';

function readIndex(file: string): ReplayIndex | null {
  if (!existsSync(file)) return null;
  const parsed = parseReplayIndex(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  return parsed.index;
}

/** --combine TARGET FILE DIR...: every replay listed in each DIR/index.json, joined into TARGET/FILE. */
function combine(argv: string[]): number {
  const [target, file, ...dirs] = argv;
  if (!target || !file || dirs.length === 0) {
    console.error('usage: npx tsx bench/merge-replays.ts --combine TARGET FILE DIR...');
    return 2;
  }
  const replays: Replay[] = [];
  let preset = 'classroom';
  for (const dir of dirs) {
    const found = readIndex(join(dir, 'index.json'));
    if (!found) {
      console.error(`${dir}: no index.json`);
      return 1;
    }
    for (const entry of found.replays) {
      const read = decodeReplay(readFileSync(join(dir, entry.file)));
      if (!read.ok) {
        console.error(`${join(dir, entry.file)}: ${read.error}`);
        return 1;
      }
      replays.push(read.replay);
      preset = entry.preset;
    }
  }
  const content = combineReplays(replays);
  const encoded = encodeReplay(content);
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, file), encoded.bytes);
  const task = TASKS.find((t) => t.name === content.experiment.task.name)!;
  const targetIndex = join(target, 'index.json');
  const index = upsertReplayIndex(readIndex(targetIndex), {
    file,
    task: task.name,
    title: task.title,
    models: content.experiment.models.map((m) => m.arch),
    steps: recordedSteps(content.models),
    seed: content.experiment.seed,
    preset,
    backend: content.backend,
    shows: replayCaption(content),
    bytes: encoded.bytes.length,
  });
  index.replays.sort((a, b) => a.file.localeCompare(b.file));
  writeFileSync(targetIndex, `${JSON.stringify(index, null, 1)}\n`);
  console.log(
    `${file}: ${encoded.bytes.length} bytes, ${content.models.length} models; ${replayCaption(content)}`,
  );
  return 0;
}

/** --recaption TARGET: every entry's caption and steps generated anew from its replay's curves. */
function recaption(target: string | undefined): number {
  if (!target) {
    console.error('usage: npx tsx bench/merge-replays.ts --recaption TARGET');
    return 2;
  }
  const file = join(target, 'index.json');
  const index = readIndex(file);
  if (!index) {
    console.error(`${file}: missing`);
    return 1;
  }
  for (const entry of index.replays) {
    const read = decodeReplay(readFileSync(join(target, entry.file)));
    if (!read.ok) {
      console.error(`${entry.file}: ${read.error}`);
      return 1;
    }
    entry.shows = replayCaption(read.replay);
    entry.steps = recordedSteps(read.replay.models);
  }
  writeFileSync(file, `${JSON.stringify(index, null, 1)}\n`);
  return 0;
}

function main(argv: string[]): number {
  if (argv[0] === '--combine') return combine(argv.slice(1));
  if (argv[0] === '--recaption') return recaption(argv[1]);
  const [target, ...dirs] = argv;
  if (!target || dirs.length === 0) {
    console.error('usage: npx tsx bench/merge-replays.ts TARGET DIR...');
    return 2;
  }
  mkdirSync(target, { recursive: true });
  const targetIndex = join(target, 'index.json');
  let index = readIndex(targetIndex);
  let failed = false;
  for (const dir of dirs) {
    const found = readIndex(join(dir, 'index.json'));
    if (!found) {
      console.error(`${dir}: no index.json`);
      failed = true;
      continue;
    }
    for (const entry of found.replays) {
      const source = join(dir, entry.file);
      const read = existsSync(source) ? decodeReplay(readFileSync(source)) : null;
      if (!read?.ok) {
        console.error(`${source}: ${read ? read.error : 'missing'}`);
        failed = true;
        continue;
      }
      copyFileSync(source, join(target, entry.file));
      index = upsertReplayIndex(index, entry);
      const frames = read.replay.models.map((m) => m.probes.length).join('/');
      console.log(
        `${entry.file}: ${entry.bytes} bytes, ${entry.models.join(', ')}, ${entry.steps} steps, probe frames ${frames}`,
      );
    }
  }
  if (index) {
    index.replays.sort((a, b) => a.file.localeCompare(b.file));
    writeFileSync(targetIndex, `${JSON.stringify(index, null, 1)}\n`);
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
