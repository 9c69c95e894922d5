/**
 * A worker's API is written once, as an interface in its protocol, with the list of its commands
 * kept complete by the type checker (`satisfies CommandList<Api>`). The worker exposes exactly
 * those commands of its session (`commandsOf`); the page's client forwards them from the same list.
 */

/** Every command name of `Api`, and nothing else, as an object (a missing or extra name fails to compile). */
export type CommandList<Api> = { readonly [K in keyof Api]-?: true };

type Method = (...args: never[]) => unknown;

/**
 * The commands `names` of `target` as a plain object of bound functions (what Comlink exposes):
 * only the listed commands cross the worker boundary, never the session's other public methods.
 */
export function commandsOf<Api extends Record<keyof Api, Method>>(target: Api, names: CommandList<Api>): Api {
  const api: Partial<Record<keyof Api, Method>> = {};
  for (const name of Object.keys(names) as Array<keyof Api>) {
    const method = target[name];
    if (typeof method !== 'function') throw new TypeError(`${String(name)} is not a command of this worker`);
    api[name] = method.bind(target) as Method;
  }
  return api as Api;
}
