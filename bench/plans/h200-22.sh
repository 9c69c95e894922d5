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
*)
  echo "usage: bash bench/plans/h200-22.sh delta" >&2
  exit 2
  ;;
esac
