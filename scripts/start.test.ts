import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './start.mjs';

const held: Server[] = [];
const hold = (port: number, host: string) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port, host }, () => {
      held.push(s);
      resolve(s);
    });
  });

afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('npm start: freePort', () => {
  it('keeps the preferred port when it is free', async () => {
    const probe = await hold(0, '127.0.0.1');
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    held.length = 0;
    expect(await freePort(port)).toBe(port);
  });

  it('moves on when the preferred port is taken, to a port that can really be listened on', async () => {
    const busy = await hold(0, '127.0.0.1');
    const port = (busy.address() as { port: number }).port;
    const chosen = await freePort(port);
    expect(chosen).toBeGreaterThan(port);
    await hold(chosen, '127.0.0.1');
  });

  it('fails with a message when none of the ports is free', async () => {
    const busy = await hold(0, '127.0.0.1');
    const port = (busy.address() as { port: number }).port;
    await expect(freePort(port, 1)).rejects.toThrow(`no free port in ${port}-${port}`);
  });
});
