/**
 * WGSL pieces of the staged walks (the staged forward, the one-lane starts walk): written-out or looped
 * register loads, and a tile's x_dbl rows staged as padded vec4s.
 */
/**
 * WGSL: `count` copies of `body`, each with `m` its index and `reg('xs')` its register `xs[m]`: a loop
 * over the register array, or (written) written out, each copy a block of its own indexing the array
 * by a constant (a compiler then keeps each element in a register of its own, and the loads of all
 * copies can be in flight together).
 */
export function registerLoop(
  count: number,
  written: boolean,
  body: (reg: (array: string) => string) => string,
) {
  if (!written) return `    for (var m = 0; m < ${count}; m++) {\n${body((a) => `${a}[m]`)}\n    }`;
  return Array.from(
    { length: count },
    (_, i) => `    {\n      let m = ${i};\n${body((a) => `${a}[${i}]`)}\n    }`,
  ).join('\n');
}

/**
 * WGSL: invocation lid's share of a tile's staged x_dbl rows starting at step t0, as vec4s through
 * `rowAt` (the program's: which columns a row holds, padded), into its registers xs: elements
 * lid + m x (invocations) of the tile's `vecs` vec4s, `share` of them an invocation (registerLoop).
 */
export function rowsLoadWgsl(
  t0: string,
  share: number,
  invocations: number,
  vecs: number,
  named = false,
): string {
  return registerLoop(
    share,
    named,
    (reg) => `      let v = lid + m * ${invocations};
      let j = v / RS;
      let q = v - j * RS;
      let base = (bc * L + ${t0} + j) * S;
      let ok = v < ${vecs} && ${t0} + j < L;
      ${reg('xs')} = vec4<f32>(rowAt(base, 4 * q, ok), rowAt(base, 4 * q + 1, ok), rowAt(base, 4 * q + 2, ok), rowAt(base, 4 * q + 3, ok));`,
  );
}

/**
 * WGSL: slot k of a staged row (dt_low | B_t | C_t, each padded to whole vec4s) from the x_dbl row
 * at base; 0 for padding and where !ok (branch-free: software GPUs compile branches poorly)
 */
export function rowAtWgsl(rv: number, nv: number): string {
  return `fn rowAt(base: i32, k: i32, ok: bool) -> f32 {
  let inB = k >= ${4 * rv};
  let inC = k >= ${4 * (rv + nv)};
  let kk = select(select(k, k - ${4 * rv}, inB), k - ${4 * (rv + nv)}, inC);
  let col = select(select(kk, R + kk, inB), R + N + kk, inC);
  let valid = ok && kk < select(R, N, inB);
  return select(0.0, xdbl[select(0, base + col, valid)], valid);
}`;
}
