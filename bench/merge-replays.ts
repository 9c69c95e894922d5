/**
 * Gather recorded runs into the page's replays folder: `npx tsx bench/merge-replays.ts TARGET DIR...`
 * reads each DIR/index.json (written by `train --record DIR/<file>`), checks every replay it lists
 * (the page's own reader, src/formats/replay.ts), copies it to TARGET and adds it to
 * TARGET/index.json (replacing an entry of the same file). For replays recorded in parallel, one
 * folder per process (bench/record-replays.sh). Exits 1 when a replay is unreadable (nothing of
 * that folder is copied).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeReplay, parseReplayIndex, type ReplayIndex, upsertReplayIndex } from '../src/formats/replay';

function readIndex(file: string): ReplayIndex | null {
  if (!existsSync(file)) return null;
  const parsed = parseReplayIndex(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error}`);
  return parsed.index;
}

function main(argv: string[]): number {
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
