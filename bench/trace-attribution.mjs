/**
 * What the page's long main-thread tasks were made of, from a Chromium trace (Playwright's
 * browser.startTracing with the devtools.timeline and v8 CPU-profiler categories).
 *
 * For every top-level task of a renderer main thread (CrRendererMain) longer than `minMs`:
 *  - its wall time and its thread (CPU) time (a task can be long because the thread was not
 *    scheduled: on a machine whose cores are busy with the workers and a software GPU);
 *  - its self time by trace event (JS, garbage collection, style and layout, paint, ...);
 *  - the JavaScript the CPU profiler sampled during it, by function, mapped through the build's
 *    source maps to the original files (node_modules packages or the app's src/ files), and the
 *    app code on the stack (the innermost frame from src/).
 * Pure functions over the trace events; the source-map decoder is here too (VLQ mappings).
 */

const TOP_LEVEL = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask']);

/** What set a task going (the first of these inside it). */
const TRIGGERS = {
  TimerFire: 'timer',
  FireAnimationFrame: 'animation frame',
  EventDispatch: 'DOM event',
  HandlePostMessage: 'message',
  'SimpleWatcher::OnHandleReady': 'message from another thread',
  ParseHTML: 'HTML parsing',
  EvaluateScript: 'script',
  'v8.evaluateModule': 'module',
  RunMicrotasks: 'microtasks',
  'ResourceDispatcher::OnRequestComplete': 'network',
};

/** The kind of work a trace event name stands for. */
export function eventKind(name) {
  if (/GC|Scavenge|MarkCompact|MinorMS|BlinkGC/i.test(name)) return 'gc';
  if (
    name === 'Layout' ||
    name === 'UpdateLayoutTree' ||
    name === 'UpdateLayerTree' ||
    name === 'RecalculateStyles' ||
    name === 'ScheduleStyleRecalculation' ||
    name === 'InvalidateLayout' ||
    name === 'IntersectionObserverController::computeIntersections' ||
    name === 'LocalFrameView::RunPostLifecycleSteps'
  )
    return 'style-layout';
  if (/^(Paint|PrePaint|Layerize|PaintImage|Commit|UpdateLayer|CompositeLayers|RasterTask)$/.test(name))
    return 'paint';
  if (/^(ParseHTML|ParseAuthorStyleSheet|v8\.compile|v8\.parseOnBackground|V8\.CompileCode)/.test(name))
    return 'parse-compile';
  if (
    /^(FunctionCall|EvaluateScript|v8\.callFunction|v8\.run|v8\.execute|TimerFire|FireAnimationFrame|EventDispatch|RunMicrotasks|V8\.Execute|HandlePostMessage|v8\.evaluateModule)$/.test(
      name,
    )
  )
    return 'script';
  return 'other';
}

// ------------------------------------------------------------------------------ source maps

const B64 = new Map(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]),
);

/** Decode one line's VLQ segments into arrays of integers (deltas, as in the source map). */
export function decodeVlqLine(text) {
  const segments = [];
  let values = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',') {
      segments.push(values);
      values = [];
      continue;
    }
    const digit = B64.get(c);
    if (digit === undefined) throw new Error(`bad VLQ character ${JSON.stringify(c)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      const negative = value & 1;
      value >>>= 1;
      values.push(negative ? -value : value);
      value = 0;
      shift = 0;
    }
  }
  if (values.length || text.endsWith(',')) segments.push(values);
  return segments;
}

/**
 * A lookup (0-based generated line and column -> original source, 1-based line, name) over a
 * source map v3 object.
 */
export function sourceMapLookup(map) {
  const lines = map.mappings.split(';');
  /** per generated line: Int32Array of [genCol, src, line, col, name] * n */
  const decoded = [];
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  let name = 0;
  for (const line of lines) {
    const segs = line ? decodeVlqLine(line) : [];
    const out = new Int32Array(segs.length * 5);
    let col = 0;
    let k = 0;
    for (const s of segs) {
      col += s[0];
      out[k] = col;
      if (s.length >= 4) {
        src += s[1];
        srcLine += s[2];
        srcCol += s[3];
        out[k + 1] = src;
        out[k + 2] = srcLine;
        out[k + 3] = srcCol;
        if (s.length >= 5) {
          name += s[4];
          out[k + 4] = name;
        } else out[k + 4] = -1;
      } else {
        out[k + 1] = -1;
      }
      k += 5;
    }
    decoded.push(out);
  }
  return (line0, col0) => {
    const segs = decoded[line0];
    if (!segs || segs.length === 0) return null;
    let lo = 0;
    let hi = segs.length / 5 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid * 5] <= col0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || segs[found * 5 + 1] < 0) return null;
    const o = found * 5;
    return {
      source: map.sources[segs[o + 1]] ?? '?',
      line: segs[o + 2] + 1,
      name: segs[o + 4] >= 0 ? (map.names?.[segs[o + 4]] ?? null) : null,
    };
  };
}

/** A source path -> a short label: 'react-dom', 'recharts', 'src/ui/charts/LossChart.tsx'. */
export function sourceLabel(source) {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = source.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const s = source.indexOf('src/');
  return s >= 0 ? source.slice(s) : source.replace(/^(\.\.\/)+/, '');
}

const isAppSource = (source) => !source.includes('node_modules/') && source.includes('src/');

// ------------------------------------------------------------------------------ the trace

function mainThreads(events) {
  const out = new Set();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      out.add(`${e.pid}:${e.tid}`);
  }
  return out;
}

/** Samples of every profiled thread: key 'pid:tid' -> { t: µs[], node: id[], nodes: Map }. */
function cpuSamples(events) {
  const profiles = new Map();
  const byId = new Map();
  for (const e of events) {
    if (e.ph !== 'P' || (e.name !== 'Profile' && e.name !== 'ProfileChunk')) continue;
    const key = `${e.pid}:${e.tid}`;
    const id = `${e.pid}:${e.id}`;
    let p = byId.get(id);
    if (!p) {
      p = { key, t: [], node: [], nodes: new Map(), last: 0 };
      byId.set(id, p);
    }
    const data = e.args?.data ?? {};
    if (e.name === 'Profile') {
      p.last = data.startTime ?? e.ts;
      continue;
    }
    for (const n of data.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n);
    const samples = data.cpuProfile?.samples ?? [];
    const deltas = data.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      p.last += deltas[i] ?? 0;
      p.t.push(p.last);
      p.node.push(samples[i]);
    }
  }
  for (const p of byId.values()) {
    const prev = profiles.get(p.key);
    if (!prev) profiles.set(p.key, p);
    else {
      for (const [k, v] of p.nodes) prev.nodes.set(k, v);
      prev.t.push(...p.t);
      prev.node.push(...p.node);
    }
  }
  return profiles;
}

/** Self time (µs) per event name of the complete events nested in [start, end) on one thread. */
function selfTimes(nested, start, end) {
  const inside = nested
    .filter((e) => e.ts >= start && e.ts < end)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const stack = [];
  const close = (upTo) => {
    while (stack.length && stack[stack.length - 1].end <= upTo) {
      const top = stack.pop();
      self.set(top.name, (self.get(top.name) ?? 0) + Math.max(0, top.self));
    }
  };
  for (const e of inside) {
    close(e.ts);
    const endE = Math.min(e.ts + e.dur, end);
    if (stack.length) stack[stack.length - 1].self -= endE - e.ts;
    stack.push({ name: e.name, end: endE, self: endE - e.ts });
  }
  close(Number.POSITIVE_INFINITY);
  return self;
}

/**
 * The long tasks of the trace and what they were.
 * @param events trace events (the traceEvents array)
 * @param options.minMs tasks at least this long (default 50)
 * @param options.lookup (url, line0, col0) -> { source, line, name } | null (source maps)
 * @param options.top how many functions to keep per task (default 6)
 */
export function attributeLongTasks(events, options = {}) {
  const minUs = (options.minMs ?? 50) * 1000;
  const top = options.top ?? 6;
  const lookup = options.lookup ?? (() => null);
  const threads = mainThreads(events);
  const complete = new Map();
  const tasks = [];
  for (const e of events) {
    if (e.ph !== 'X' || typeof e.dur !== 'number') continue;
    const key = `${e.pid}:${e.tid}`;
    if (!threads.has(key)) continue;
    if (TOP_LEVEL.has(e.name)) {
      if (e.dur >= minUs) tasks.push({ key, ts: e.ts, dur: e.dur, tdur: e.tdur ?? null });
    } else {
      let list = complete.get(key);
      if (!list) {
        list = [];
        complete.set(key, list);
      }
      list.push(e);
    }
  }
  // a RunTask wraps a ThreadControllerImpl::RunTask of the same span: keep the outermost
  tasks.sort((a, b) => a.key.localeCompare(b.key) || a.ts - b.ts || b.dur - a.dur);
  const outer = [];
  for (const t of tasks) {
    const last = outer[outer.length - 1];
    if (last && last.key === t.key && t.ts < last.ts + last.dur) continue;
    outer.push(t);
  }
  tasks.length = 0;
  tasks.push(...outer.sort((a, b) => b.dur - a.dur));
  const profiles = cpuSamples(events);
  const frameCache = new Map();
  const frameOf = (node) => {
    const cf = node.callFrame ?? {};
    const k = `${cf.url}:${cf.lineNumber}:${cf.columnNumber}:${cf.functionName}`;
    let f = frameCache.get(k);
    if (!f) {
      const mapped = cf.url ? lookup(cf.url, cf.lineNumber ?? 0, cf.columnNumber ?? 0) : null;
      const special = !cf.url && /^\(.*\)$/.test(cf.functionName ?? '');
      const source = mapped?.source ?? (special ? cf.functionName : cf.url || '(native)');
      const fn = mapped?.name || cf.functionName || '(anonymous)';
      f = {
        label: special ? cf.functionName : `${fn} (${sourceLabel(source)}${mapped ? `:${mapped.line}` : ''})`,
        module: special ? cf.functionName : sourceLabel(source),
        app: mapped ? isAppSource(mapped.source) : false,
      };
      frameCache.set(k, f);
    }
    return f;
  };
  const tallied = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, us]) => ({ label, ms: us / 1000 }));
  const triggerOf = (task) => {
    const end = task.ts + task.dur;
    const inside = (complete.get(task.key) ?? []).filter((e) => e.ts >= task.ts && e.ts < end);
    inside.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const first = inside.find((e) => TRIGGERS[e.name]);
    let what = first ? TRIGGERS[first.name] : 'task';
    if (first?.name === 'EventDispatch' && first.args?.data?.type) what += ` ${first.args.data.type}`;
    const call = inside.find((e) => e.name === 'FunctionCall' && e.args?.data);
    if (!call) return what;
    const d = call.args.data;
    const mapped = d.url ? lookup(d.url, d.lineNumber ?? 0, d.columnNumber ?? 0) : null;
    const fn = mapped?.name || d.functionName || '(anonymous)';
    return `${what} → ${fn}${mapped ? ` (${sourceLabel(mapped.source)}:${mapped.line})` : ''}`;
  };
  return tasks.map((task) => {
    const end = task.ts + task.dur;
    const self = selfTimes(complete.get(task.key) ?? [], task.ts, end);
    const kinds = {};
    let covered = 0;
    for (const [name, us] of self) {
      const k = eventKind(name);
      kinds[k] = (kinds[k] ?? 0) + us / 1000;
      covered += us;
    }
    kinds.unattributed = Math.max(0, task.dur - covered) / 1000;
    const p = profiles.get(task.key);
    const fns = new Map();
    const modules = new Map();
    const app = new Map();
    let sampledUs = 0;
    if (p) {
      // samples in the task, each weighted by the time to the next sample (capped)
      let i = lowerBound(p.t, task.ts);
      for (; i < p.t.length && p.t[i] < end; i++) {
        const w = Math.min((p.t[i + 1] ?? end) - p.t[i], 5000, end - p.t[i]);
        let node = p.nodes.get(p.node[i]);
        if (!node) continue;
        const leaf = frameOf(node);
        if (leaf.module === '(idle)') continue;
        sampledUs += w;
        fns.set(leaf.label, (fns.get(leaf.label) ?? 0) + w);
        modules.set(leaf.module, (modules.get(leaf.module) ?? 0) + w);
        // the innermost app frame on the stack
        let appFrame = null;
        for (let guard = 0; node && guard < 500; guard++) {
          const f = frameOf(node);
          if (f.app) {
            appFrame = f.label;
            break;
          }
          node = node.parent !== undefined ? p.nodes.get(node.parent) : undefined;
        }
        if (appFrame) app.set(appFrame, (app.get(appFrame) ?? 0) + w);
      }
    }
    return {
      // the trace's own instrument (the CPU profiler starting inside a task) is not the page's work
      instrument: self.has('CpuProfiler::StartProfiling'),
      startUs: task.ts,
      trigger: triggerOf(task),
      wallMs: task.dur / 1000,
      cpuMs: task.tdur === null ? null : task.tdur / 1000,
      kinds,
      events: tallied(self),
      sampledMs: sampledUs / 1000,
      functions: tallied(fns),
      modules: tallied(modules),
      app: tallied(app),
    };
  });
}

function lowerBound(sorted, v) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Totals over every long task: kinds, modules, app frames (ms). */
export function summariseAttribution(all, top = 6) {
  const tasks = all.filter((t) => !t.instrument);
  const sum = (pick) => {
    const m = new Map();
    for (const t of tasks) for (const { label, ms } of pick(t)) m.set(label, (m.get(label) ?? 0) + ms);
    return [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, ms]) => ({ label, ms }));
  };
  return {
    count: tasks.length,
    instrument: all.length - tasks.length,
    wallMs: tasks.reduce((s, t) => s + t.wallMs, 0),
    cpuMs: tasks.reduce((s, t) => s + (t.cpuMs ?? 0), 0),
    kinds: sum((t) => Object.entries(t.kinds).map(([label, ms]) => ({ label, ms }))),
    modules: sum((t) => t.modules),
    functions: sum((t) => t.functions),
    app: sum((t) => t.app),
    triggers: sum((t) => [{ label: t.trigger, ms: t.wallMs }]),
  };
}

const ms = (v) => `${Math.round(v)} ms`;
const list = (items) => items.map((x) => `${x.label} ${ms(x.ms)}`).join(', ') || 'none sampled';

/** One line of text per task (the longest `n`). */
export function describeTask(t) {
  const kinds = Object.entries(t.kinds)
    .filter(([, v]) => v >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${ms(v)}`)
    .join(', ');
  return (
    `${ms(t.wallMs)} wall${t.cpuMs === null ? '' : `, ${ms(t.cpuMs)} on the CPU`} (${t.trigger}): ${kinds}; ` +
    `JS by module: ${list(t.modules.slice(0, 4))}; hottest: ${list(t.functions.slice(0, 3))}; ` +
    `app code on the stack: ${list(t.app.slice(0, 3))}`
  );
}
