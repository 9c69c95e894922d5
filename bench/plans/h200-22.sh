#!/usr/bin/env bash
# H200, session 22 (issue 12: the scan forward). The device keeps nothing between calls.
#   bash bench/plans/h200-22.sh delta   one call (~8 min): every row-staged forward layout twice, with
#     Δ's projection and softplus inside the walk (as 'auto' runs it), without branches
#     (stagedBranchless, session 21's, never timed on a device) and from a pass of its own
#     (stagedDelta 'pass': delta-program.ts, then the walk reads Δ as it reads u and z) and for a tile
#     at once after its staging (stagedDelta 'tile': T independent chains); then the
#     paper-size Mamba and MambaFormer steps (replayed) with Δ in the walk, tile or pass (the
#     branchless softplus only in the rows: one call holds at most 10 minutes). Call 21w (H100) put Δ at a third
#     of the forward's time; this settles which of the four 'auto' runs.
#   bash bench/plans/h200-22.sh again   one call (~3 min): 'auto''s layout with Δ in the walk, tile
#     and pass, and the branchless softplus, four times, with the diagnostics (also with the pass).
#   bash bench/plans/h200-22.sh tiles   one call (~2 min): the same at tiles of 8 and 4 steps.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log: the rows that repeat.
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
case "${1:-}" in
delta)
  call c22d 220 2 "staged, " '{"forwardMode":"auto"}' '{"stagedDelta":"pass"}' '{"stagedDelta":"tile"}'
  ;;
again)
  # call 22d's surprise (Δ from the tile or the pass 1.5-2.5x slower than in the walk) against drift:
  # four runs of 'auto''s layout with Δ in the walk, tile and pass, the branchless softplus, and the
  # diagnostics with the pass (what the pass and the third staged column cost)
  ROWS="staged diagnostic no-delta|staged diagnostic no-scan|staged, 64 ch x 1 lanes, T 16, 4 steps written out ("
  ROWS="$ROWS|staged, 64 ch x 1 lanes, T 16, 4 steps written out, branchless softplus (|staged, 64 ch x 1 lanes, T 16, 4 steps written out, delta"
  call c22a 100 4 "$ROWS"
  ;;
tiles)
  # call 22a: Δ in a third staged column costs ~0.35 ms whether the tile or a pass computes it; is it
  # the workgroup memory (21.5 KB -> 28-29.7 KB a workgroup at T 16)? The same at T 8 and T 4, with
  # the diagnostics (pass-only: the pass alone, now over blocks of 16 rows an invocation).
  ROWS="staged diagnostic|staged, 64 ch x 1 lanes, T 8|staged, 64 ch x 1 lanes, T 4|staged, 64 ch x 1 lanes, T 16, 4 steps written out ("
  ROWS="$ROWS|staged, 64 ch x 1 lanes, T 16, 4 steps written out, delta"
  call c22t 100 3 "$ROWS"
  ;;
*)
  echo "usage: bash bench/plans/h200-22.sh delta|again|tiles" >&2
  exit 2
  ;;
esac
