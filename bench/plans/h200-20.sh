#!/usr/bin/env bash
# H200, session 20 (issue 12: the scan backward). The device keeps nothing between calls.
#   bash bench/plans/h200-20.sh forms   one call (~9 min): the block-parallel backward with its chunks'
#     starting states from a pass of their own (blocks-starts-program.ts, 'blocks starts pass') and
#     with its sums over channels by subgroup shuffles ('subgroup sums': no barrier per state), beside
#     the 'auto' backward (slim, serial sums, WD 64 x 4 x 4), twice in the same call; the starts
#     pass's own layouts; then the paper-size Mamba and MambaFormer steps (replayed) with 'auto' and
#     with each new form.
#   bash bench/plans/h200-20.sh confirm   one call (~8 min): the fastest forms against 'auto' at three
#     shapes, twice each, and the steps with each form twice (the last four tunings repeat the first
#     four: stagedUnroll 4 is the default, there only to make the JSON differ).
#   bash bench/plans/h200-20.sh where   one call (~3 min): the diagnostics of the fastest form.
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
forms)
  call c20f 210 2 "$AUTO|blocks slim, serial sums, $B444|blocks starts pass, slim, serial sums, $B444|blocks starts pass, slim, subgroup sums|blocks starts pass, subgroup sums|blocks slim, subgroup sums|blocks slim, together, subgroup sums, $B444|blocks starts pass 32 ch x T 16, slim, subgroup|blocks starts pass 128 ch x T 16, slim, subgroup|blocks starts pass 64 ch x T 32, slim, subgroup" \
    '{"forwardMode":"auto"}' '{"blocksStarts":"pass"}' '{"blocksSums":"subgroup"}' \
    '{"blocksSums":"subgroup","blocksStarts":"pass"}'
  ;;
confirm)
  # the fastest forms of call 20a against 'auto', twice, at the benchmark's shape and at the
  # paper-size Mamba's (B 64, L 82, Di 512) and L 256; then the steps with each, twice
  ROWS="$AUTO|blocks slim, serial sums, $B444|blocks subgroup sums (|blocks slim, subgroup sums (|blocks starts pass, subgroup sums (|blocks starts pass, slim, subgroup sums (|blocks slim, together, subgroup sums (|blocks starts pass, slim, serial sums, $B444"
  SHAPE=64,82,512 call c20p 150 2 "$ROWS"
  SHAPE=64,256,256 call c20m 150 2 "$ROWS"
  call c20k 200 2 "$ROWS" \
    '{"forwardMode":"auto"}' '{"blocksSums":"subgroup"}' '{"blocksSums":"subgroup","blocksSlim":false}' \
    '{"blocksSums":"subgroup","blocksSlim":false,"blocksStarts":"pass"}' \
    '{"forwardMode":"auto","stagedUnroll":4}' '{"blocksSums":"subgroup","stagedUnroll":4}' \
    '{"blocksSums":"subgroup","blocksSlim":false,"stagedUnroll":4}' \
    '{"blocksSums":"subgroup","blocksSlim":false,"blocksStarts":"pass","stagedUnroll":4}'
  ;;
where)
  # where the fastest form's time goes: each diagnostic leaves one part out (wrong gradients)
  call c20w 200 2 "blocks subgroup sums (|blocks starts pass, subgroup sums (|blocks diagnostic, subgroup sums, starts pass"
  ;;
*)
  echo "usage: bash bench/plans/h200-20.sh forms|confirm|where" >&2
  exit 2
  ;;
esac
