/**
 * A builder remembered by its arguments. Building a program's WGSL text from its layout takes tens of
 * µs of JavaScript (the staged forward: 25-60 µs on a 2-core machine), more than recording its
 * dispatch, and a training step asks for the same programs with the same sizes every time. So a
 * builder wrapped here runs once per distinct argument list (compared as JSON) and hands back the same
 * object afterwards. Callers must treat the results as read-only. It keeps the `size` most recently
 * used results.
 */
export function remembered<A extends unknown[], R>(build: (...args: A) => R, size = 32): (...args: A) => R {
  const results = new Map<string, R>();
  return (...args: A): R => {
    const key = JSON.stringify(args);
    const hit = results.get(key);
    if (hit !== undefined) {
      // most recently used last, so the oldest is the first to go
      results.delete(key);
      results.set(key, hit);
      return hit;
    }
    const built = build(...args);
    results.set(key, built);
    if (results.size > size) results.delete(results.keys().next().value as string);
    return built;
  };
}
