/**
 * The bindings and uniforms every form of the scan backward's main program shares (backward-program.ts,
 * blocks-backward-program.ts, staged-backward-program.ts), in the order index.ts binds them: outputs
 * du, dz, the partial sums over channel groups and the parameters' partials; inputs u, x_dbl, z, the
 * parameters (packed into one buffer, or dtW, A_log, D and dtBias as they are), dy and, where a pass
 * of their own wrote them, the chunks' starting states (the staged backward may write them itself, as
 * a fifth output).
 */
import { bindings } from '../common';
import type { Dims } from './shape';

/**
 * The WGSL declarations of the backward's buffers and its uniform struct `uni`. `starts`: the chunks'
 * starting states bound as the last input (true: a pass of their own wrote them), as a fifth output
 * that the program writes itself ('written'), or not at all (false).
 */
export function backwardBindings(packed: boolean, starts: boolean | 'written'): string {
  const params = packed ? ['pk'] : ['pW', 'pALog', 'pD', 'pBias'];
  return bindings(
    ['du', 'dz', 'part', 'ppart', ...(starts === 'written' ? ['starts'] : [])],
    ['u', 'xdbl', 'zt', ...params, 'dout', ...(starts === true ? ['starts'] : [])],
    'B: i32, L: i32, Di: i32, G: i32, Zw: i32, zOff: i32, chunks: i32, nx: i32',
  );
}

/** The uniforms' values: the sizes, the channel groups g, the chunks and the dispatch's x extent. */
export function backwardUniforms(dims: Dims, g: number, chunks: number, nx: number) {
  const { b, l, di, zw, zOffset } = dims;
  return [b, l, di, g, zw, zOffset, chunks, nx].map((v) => ({ type: 'int32' as const, data: [v] }));
}
