#!/usr/bin/env bash
# H200, session 21 (issue 12: the scan). The device keeps nothing between calls. Session 20's
# confirm and where calls (h200-20.sh) were refused a machine; these are the same calls with the
# row names of the forms that remain since session 21 (the 'together' form is gone).
#   bash bench/plans/h200-21.sh confirm   one call (~8 min): the block-parallel backward's forms
#     against each other at the paper-size Mamba's shape (B 64, L 82, Di 512), at L 256 and at the
#     benchmark's shape, twice each; then the paper-size Mamba and MambaFormer steps (replayed) with
#     each form, twice (the last four tunings repeat the first four: stagedUnroll 4 is the default,
#     there only to make the JSON differ). Settles blocksStartsFromChunks and blocksSlim 'auto'.
#   bash bench/plans/h200-21.sh where   one call (~4 min): the diagnostics of 'auto''s backward at
#     L 1024 (subgroup sums, starts pass, full), and its staged forward's layouts and diagnostics
#     (no-exp, no-delta, no-scan): which part of the backward's 2.7 ms and of the forward's 0.5 ms
#     to take on next.
#   bash bench/plans/h200-21.sh softplus   one call (~3 min): the staged forward with Δ's softplus
#     without branches (`stagedBranchless`), after where's diagnostics (run on an H100) put Δ's
#     projection and softplus at a third of the forward.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log: the rows that repeat.
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and, for the tree to fit the device tool, `bash bench/device-tree.sh slim` here
# before the call (`restore` after). Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
AUTO="staged, 64 ch x 1 lanes, T 16, 4 steps written out ("
B444="64 ch x 4 segments x 4 steps"
case "${1:-}" in
confirm)
  ROWS="$AUTO|blocks slim, serial sums, $B444|blocks subgroup sums (|blocks slim, subgroup sums (|blocks starts pass, subgroup sums (|blocks starts pass, slim, subgroup sums (|blocks starts pass, slim, serial sums, $B444"
  SHAPE=64,82,512 call c21p 150 2 "$ROWS"
  SHAPE=64,256,256 call c21m 150 2 "$ROWS"
  call c21k 200 2 "$ROWS" \
    '{"forwardMode":"auto"}' '{"blocksStarts":"phase1","blocksSlim":true}' '{"blocksStarts":"phase1","blocksSlim":false}' \
    '{"blocksStarts":"pass","blocksSlim":false}' \
    '{"forwardMode":"auto","stagedUnroll":4}' '{"blocksStarts":"phase1","blocksSlim":true,"stagedUnroll":4}' \
    '{"blocksStarts":"phase1","blocksSlim":false,"stagedUnroll":4}' \
    '{"blocksStarts":"pass","blocksSlim":false,"stagedUnroll":4}'
  ;;
where)
  # where the time of 'auto''s forms goes: each diagnostic leaves one part out (wrong outputs)
  call c21w 260 2 "staged, |staged diagnostic|blocks subgroup sums (|blocks starts pass, subgroup sums (|blocks diagnostic, subgroup sums, starts pass"
  ;;
softplus)
  # the staged forward with Δ's softplus without branches against the one with, three times, and the
  # paper-size steps with each, twice
  call c21s 200 3 "staged, |staged diagnostic" '{"forwardMode":"auto"}' '{"stagedBranchless":true}' \
    '{"forwardMode":"auto","stagedUnroll":4}' '{"stagedBranchless":true,"stagedUnroll":4}'
  ;;
*)
  echo "usage: bash bench/plans/h200-21.sh confirm|where|softplus" >&2
  exit 2
  ;;
esac
