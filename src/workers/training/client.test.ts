/**
 * The page's client against a real session over a real MessageChannel (comlink end to end, with
 * transfers), and its crash handling with a worker that dies.
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyExperiment } from '../../train/test-experiments';
import { type ClientEvent, createTrainingClient, type Spawn } from './client';
import type { MetricsEvent, TrainingWorkerApi } from './protocol';
import { TrainingSession } from './session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A "worker" whose other end is a session in this thread. */
function fakeWorker(api?: TrainingWorkerApi): {
  spawn: Spawn;
  worker: Worker & EventTarget;
  terminated: () => boolean;
} {
  const channel = new MessageChannel();
  const session =
    api ??
    new TrainingSession({
      pickBackend: async () => ({ name: 'cpu', attempts: [], fallback: false, detail: '', summary: 'cpu' }),
      transfer: Comlink.transfer,
      now: () => performance.now(),
      yieldToEvents: () => new Promise((r) => setTimeout(r, 0)),
    });
  Comlink.expose(session, channel.port2 as unknown as Comlink.Endpoint);
  let terminated = false;
  const target = new EventTarget();
  const port = channel.port1;
  const worker = Object.assign(target, {
    postMessage: (m: unknown, t?: Transferable[]) => port.postMessage(m, t as never),
    terminate: () => {
      terminated = true;
      port.close();
      channel.port2.close();
    },
    onmessage: null,
    onmessageerror: null,
    onerror: null,
  });
  // messages from the session reach the client through the worker's listeners
  port.addEventListener('message', (e) =>
    target.dispatchEvent(new MessageEvent('message', { data: (e as MessageEvent).data })),
  );
  port.start();
  return {
    spawn: () => worker as unknown as Worker,
    worker: worker as unknown as Worker & EventTarget,
    terminated: () => terminated,
  };
}

describe('createTrainingClient', () => {
  it('drives a session through comlink; events arrive with their typed arrays', async () => {
    const events: ClientEvent[] = [];
    const fake = fakeWorker();
    const client = createTrainingClient((e) => events.push(e), fake.spawn);
    const configured = await client.configure(tinyExperiment(['mamba']), 0, {
      metricsIntervalMs: 20,
      readEvery: 1,
    });
    expect(configured).toMatchObject({ ok: true, arch: 'mamba', backend: { name: 'cpu' } });
    expect(await client.step(3)).toMatchObject({ ok: true, step: 3 });
    await new Promise((r) => setTimeout(r, 50));
    const metrics = events.filter((e): e is MetricsEvent => e.type === 'metrics');
    expect(metrics.flatMap((m) => [...m.steps])).toEqual([0, 1, 2]);
    expect(metrics[0].losses).toBeInstanceOf(Float32Array);
    expect(events.some((e) => e.type === 'probe')).toBe(true);
    expect(client.received.events).toBe(events.length);
    expect(client.received.bytes).toBeGreaterThan(0);
    const saved = await client.saveCheckpoint();
    expect(saved.ok && saved.model.byteLength).toBeGreaterThan(100);
    if (!saved.ok) return;
    await client.reset();
    expect(await client.loadCheckpoint(saved)).toMatchObject({ ok: true, step: 3 });
    // the page keeps its own copy of what it sent
    expect(saved.model.byteLength).toBeGreaterThan(100);
    expect(await client.stats()).toMatchObject({ step: 3, backend: 'cpu' });
    await client.dispose();
    expect(fake.terminated()).toBe(true);
    expect(await client.train()).toMatchObject({ ok: false, error: /stopped/ });
  });

  it('reports a crashed worker once, terminates it and answers pending and later calls', async () => {
    const events: ClientEvent[] = [];
    const never = new Promise<never>(() => {});
    const hanging = { pause: () => never } as unknown as TrainingWorkerApi;
    const fake = fakeWorker(hanging);
    const client = createTrainingClient((e) => events.push(e), fake.spawn);
    const pending = client.pause();
    fake.worker.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'boom' }));
    expect(await pending).toEqual({ ok: false, error: 'the worker crashed: boom' });
    expect(await client.step()).toMatchObject({ ok: false, error: /crashed: boom/ });
    expect(events).toEqual([{ type: 'crashed', message: 'boom', cause: 'error' }]);
    expect(client.crashed).toBe(true);
    expect(fake.terminated()).toBe(true);
  });
});
