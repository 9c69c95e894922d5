/**
 * The browser benchmark's analysis helpers: source-map decoding, long-task attribution from a
 * synthetic Chromium trace, and the initial-JavaScript report over a synthetic build folder.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { containsTfjs, htmlEntries, initialJavaScript, staticImports } from './initial-js.mjs';
import {
  attributeLongTasks,
  decodeVlqLine,
  describeTask,
  eventKind,
  sourceLabel,
  sourceMapLookup,
  summariseAttribution,
  type TraceEvent,
} from './trace-attribution.mjs';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 VLQ of one integer (the test's own encoder, to round-trip the decoder). */
function vlq(n: number): string {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += B64[digit];
  } while (v > 0);
  return out;
}

describe('source maps', () => {
  it('decodes VLQ segments', () => {
    expect(decodeVlqLine('AAAA,CAAC,D,gB')).toEqual([[0, 0, 0, 0], [1, 0, 0, 1], [-1], [16]]);
    const values = [0, 5, -3, 1000, -70000, 15, 16, -16];
    expect(decodeVlqLine(values.map(vlq).join(''))).toEqual([values]);
  });

  it('maps generated positions to original sources, lines and names', () => {
    // line 0: col 0 -> a.ts line 1; col 10 -> b.ts line 3 name "render"; col 30 -> a.ts line 8
    // line 1: col 4 -> b.ts line 2
    const seg = (...v: number[]) => v.map(vlq).join('');
    const mappings = [
      [seg(0, 0, 0, 0), seg(10, 1, 2, 4, 0), seg(20, -1, 5, 0)].join(','),
      seg(4, 1, -6, 0),
    ].join(';');
    const lookup = sourceMapLookup({
      mappings,
      sources: ['../src/a.ts', '../node_modules/recharts/b.js'],
      names: ['render'],
    });
    expect(lookup(0, 0)).toEqual({ source: '../src/a.ts', line: 1, name: null });
    expect(lookup(0, 12)).toEqual({ source: '../node_modules/recharts/b.js', line: 3, name: 'render' });
    expect(lookup(0, 500)).toEqual({ source: '../src/a.ts', line: 8, name: null });
    expect(lookup(1, 3)).toBeNull();
    expect(lookup(1, 4)).toEqual({ source: '../node_modules/recharts/b.js', line: 2, name: null });
    expect(lookup(9, 0)).toBeNull();
  });

  it('labels sources by package or app file', () => {
    expect(sourceLabel('../node_modules/recharts/es6/chart/x.js')).toBe('recharts');
    expect(sourceLabel('../node_modules/@reduxjs/toolkit/dist/a.js')).toBe('@reduxjs/toolkit');
    expect(sourceLabel('../../src/ui/charts/LossChart.tsx')).toBe('src/ui/charts/LossChart.tsx');
    expect(eventKind('MajorGC')).toBe('gc');
    expect(eventKind('Layout')).toBe('style-layout');
    expect(eventKind('FunctionCall')).toBe('script');
    expect(eventKind('Paint')).toBe('paint');
  });
});

describe('attributeLongTasks', () => {
  const main = { pid: 1, tid: 10 };
  const events: TraceEvent[] = [
    { ph: 'M', name: 'thread_name', ...main, ts: 0, args: { name: 'CrRendererMain' } },
    { ph: 'M', name: 'thread_name', pid: 1, tid: 11, ts: 0, args: { name: 'DedicatedWorker thread' } },
    // an 80 ms task, 30 ms of it on the CPU: a call (with a GC inside) and a layout
    { ph: 'X', name: 'RunTask', ...main, ts: 1000, dur: 80_000, tdur: 30_000 },
    // the same task's inner wrapper: not a second task
    { ph: 'X', name: 'ThreadControllerImpl::RunTask', ...main, ts: 1000, dur: 79_000, tdur: 29_000 },
    { ph: 'X', name: 'TimerFire', ...main, ts: 1000, dur: 60_000 },
    {
      ph: 'X',
      name: 'FunctionCall',
      ...main,
      ts: 1000,
      dur: 60_000,
      args: { data: { url: 'http://x/assets/i.js', lineNumber: 0, columnNumber: 10, functionName: 'q' } },
    },
    { ph: 'X', name: 'MajorGC', ...main, ts: 20_000, dur: 10_000 },
    { ph: 'X', name: 'Layout', ...main, ts: 70_000, dur: 5000 },
    // a task that is the CPU profiler starting (the tracer's, not the page's)
    { ph: 'X', name: 'RunTask', ...main, ts: 200_000, dur: 300_000, tdur: 90_000 },
    { ph: 'X', name: 'CpuProfiler::StartProfiling', ...main, ts: 200_100, dur: 299_000 },
    // short tasks, and long tasks of other threads, are not reported
    { ph: 'X', name: 'RunTask', ...main, ts: 100_000, dur: 20_000 },
    { ph: 'X', name: 'RunTask', pid: 1, tid: 11, ts: 0, dur: 200_000 },
    { ph: 'P', name: 'Profile', ...main, ts: 0, id: '0x1', args: { data: { startTime: 0 } } },
    {
      ph: 'P',
      name: 'ProfileChunk',
      ...main,
      ts: 0,
      id: '0x1',
      args: {
        data: {
          cpuProfile: {
            nodes: [
              { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 } },
              {
                id: 2,
                parent: 1,
                callFrame: {
                  functionName: 'a',
                  url: 'http://x/assets/i.js',
                  lineNumber: 0,
                  columnNumber: 10,
                },
              },
              {
                id: 3,
                parent: 2,
                callFrame: {
                  functionName: 'b',
                  url: 'http://x/assets/i.js',
                  lineNumber: 0,
                  columnNumber: 20,
                },
              },
            ],
            samples: [3, 3, 2, 3, 3],
          },
          // samples at 2, 12, 22, 32 ms (in the task) and 90 ms (after it)
          timeDeltas: [2000, 10_000, 10_000, 10_000, 58_000],
        },
      },
    },
  ];
  const lookup = (_url: string, _line: number, col: number) =>
    col === 10
      ? { source: '../src/ui/charts/LossChart.tsx', line: 20, name: 'LossChart' }
      : { source: '../node_modules/recharts/es6/x.js', line: 7, name: 'renderLine' };

  it('finds the long tasks of the page main thread and what they were made of', () => {
    const all = attributeLongTasks(events, { lookup });
    expect(all.map((t) => [t.wallMs, t.instrument])).toEqual([
      [300, true],
      [80, false],
    ]);
    const tasks = all.filter((t) => !t.instrument);
    const [t] = tasks;
    expect(t.trigger).toBe('timer → LossChart (src/ui/charts/LossChart.tsx:20)');
    expect(t.wallMs).toBe(80);
    expect(t.cpuMs).toBe(30);
    // TimerFire and FunctionCall nest: their self times add up to the call's 50 ms
    expect(t.kinds.script).toBeCloseTo(50);
    expect(t.kinds.gc).toBeCloseTo(10);
    expect(t.kinds['style-layout']).toBeCloseTo(5);
    expect(t.kinds.unattributed).toBeCloseTo(15);
    // each sample weighs the time to the next one, capped at 5 ms
    expect(t.sampledMs).toBeCloseTo(20);
    expect(t.modules).toEqual([
      { label: 'recharts', ms: 15 },
      { label: 'src/ui/charts/LossChart.tsx', ms: 5 },
    ]);
    expect(t.functions[0]).toEqual({ label: 'renderLine (recharts:7)', ms: 15 });
    // the app frame under the library code is found on the stack
    expect(t.app).toEqual([{ label: 'LossChart (src/ui/charts/LossChart.tsx:20)', ms: 20 }]);
    expect(describeTask(t)).toMatch(
      /^80 ms wall, 30 ms on the CPU \(timer → LossChart .*\): script 50 ms, unattributed 15 ms, gc 10 ms/,
    );
    const sum = summariseAttribution(all);
    expect(sum).toMatchObject({ count: 1, instrument: 1, wallMs: 80, cpuMs: 30 });
    expect(sum.triggers).toEqual([{ label: t.trigger, ms: 80 }]);
    expect(sum.app[0].label).toMatch(/LossChart/);
  });

  it('reports nothing without long tasks, and respects the threshold', () => {
    expect(attributeLongTasks(events, { minMs: 400 })).toEqual([]);
    expect(attributeLongTasks(events, { minMs: 10 })).toHaveLength(3);
  });
});

describe('initial JavaScript', () => {
  it('finds static imports only (not dynamic ones or strings)', () => {
    const code =
      'import{a as b}from"./chart-1.js";import"./side.js";export{c}from"../x/y.js";' +
      'const l=()=>import("./lazy.js");const s="assets/other.js";';
    expect(staticImports(code)).toEqual(['./chart-1.js', './side.js', '../x/y.js']);
    expect(
      htmlEntries(
        '<script type="module" crossorigin src="/assets/i.js"></script><link rel="modulepreload" href="/assets/p.js">',
      ),
    ).toEqual(['/assets/i.js', '/assets/p.js']);
    expect(containsTfjs('', { sources: ['../node_modules/@tensorflow/tfjs-core/x.js'] })).toBe(true);
    expect(containsTfjs('', { sources: ['../node_modules/react/x.js'] })).toBe(false);
  });

  it('sums the entry and its static imports, gzip, and flags tfjs', () => {
    const dist = mkdtempSync(join(tmpdir(), 'initial-js-'));
    mkdirSync(join(dist, 'assets'));
    const entry = 'import{x}from"./shared.js";const l=()=>import("./lazy.js");console.log(x,l);';
    const shared = 'export const x=1;'.repeat(50);
    writeFileSync(join(dist, 'index.html'), '<script type="module" src="/assets/entry.js"></script>');
    writeFileSync(join(dist, 'assets/entry.js'), entry);
    writeFileSync(join(dist, 'assets/shared.js'), shared);
    writeFileSync(
      join(dist, 'assets/shared.js.map'),
      JSON.stringify({ sources: ['../node_modules/@tensorflow/tfjs-core/dist/index.js'] }),
    );
    writeFileSync(join(dist, 'assets/lazy.js'), 'export default 1;'.repeat(1000));
    const r = initialJavaScript(dist);
    expect(r.files.map((f) => f.file)).toEqual(['assets/entry.js', 'assets/shared.js']);
    expect(r.bytes).toBe(entry.length + shared.length);
    expect(r.gzip).toBe(gzipSync(entry, { level: 9 }).byteLength + gzipSync(shared, { level: 9 }).byteLength);
    expect(r.tfjs).toEqual(['assets/shared.js']);
  });
});
