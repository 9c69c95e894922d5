import { describe, expect, it } from 'vitest';
import { type CommandList, commandsOf } from './commands';

interface Api {
  add(n: number): Promise<number>;
  total(): Promise<number>;
}

class Session implements Api {
  private sum = 0;
  async add(n: number) {
    this.sum += n;
    return this.sum;
  }
  async total() {
    return this.sum;
  }
  /** not a command: never exposed */
  secret() {
    return 'internal';
  }
}

const COMMANDS = { add: true, total: true } as const satisfies CommandList<Api>;

describe('commandsOf', () => {
  it('exposes exactly the listed commands, bound to their session', async () => {
    const session = new Session();
    const api = commandsOf<Api>(session, COMMANDS);
    expect(Object.keys(api).sort()).toEqual(['add', 'total']);
    expect('secret' in api).toBe(false);
    const { add, total } = api;
    await add(2);
    await add(3);
    expect(await total()).toBe(5);
  });

  it('refuses a listed command the session does not have', () => {
    const broken = { add: async (n: number) => n } as unknown as Api;
    expect(() => commandsOf<Api>(broken, COMMANDS)).toThrow(/total is not a command/);
  });
});
