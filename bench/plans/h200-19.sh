#!/usr/bin/env bash
# H200, session 19 (issue 12: the scan backward). The device keeps nothing between calls.
#   bash bench/plans/h200-19.sh where   one call (~4 min): where the block-parallel backward's time
#     goes. gpu.ts times the copy bandwidth, the 'auto' forward and backward, the block-parallel
#     backward at three layouts with its sums over channels spread over several invocations a column
#     ('blocks parallel sums'), and the diagnostics that each leave one part of it out ('blocks
#     diagnostic no-phase1 | no-sums | no-compose | no-loads | no-exp', wrong gradients by design);
#     twice in the same call, so that rows which do not repeat can be told apart.
#   bash bench/plans/h200-19.sh forms   one call (~6 min): the block-parallel backward's new forms,
#     the parallel sums over channels (d dt_low in one pass too), the first pass with all states
#     together (two barriers a chunk instead of N) and the states 2 or 4 at a time in the second pass
#     (half or a quarter of its barriers), beside the serial forms, twice; then the paper-size
#     Mamba and MambaFormer steps (replayed) with 'auto' and with the new forms. Ran as call 19b;
#     call 19c ran it again with the 'slim' forms (A, W and the chunk starts read where used: fewer
#     registers; and dA's accumulators in workgroup memory) in the rows and the steps.
#   bash bench/plans/h200-19.sh confirm   one call (~5 min): the new 'auto' backward against the old,
#     three gpu.ts runs and the steps, each tuning twice (the last two repeat the first two).
#   bash bench/plans/h200-19.sh bounds   one call (~5 min): the slim forms with their loop bounds
#     from uniforms beside the same with constant bounds, twice, and the steps. Ran as call 19e at
#     cc92333; the option (`blocksUniformBounds`) lost everywhere and was taken out after it, so this
#     mode needs that commit's tree.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log: the rows that repeat. (The forms call ran
# first with the rows and steps of session 19b, then as written here, with the slim forms, as 19c.)
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md). Comes back:
# $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
AUTO="staged, 64 ch x 1 lanes, T 16, 4 steps written out ("
case "${1:-}" in
where)
  call c19w 200 2 "$AUTO|blocks, 32 ch x 8 segments x 4 steps:|blocks, 64 ch x 4 segments x 4 steps:|blocks, 16 ch x 16 segments x 4 steps:|blocks parallel|blocks diagnostic"
  ;;
forms)
  call c19f 200 2 "$AUTO|blocks, 32 ch x 8 segments x 4 steps:|blocks, 64 ch x 4 segments x 4 steps:|blocks parallel|blocks together|blocks 2 states|blocks slim" \
    '{"forwardMode":"auto"}' \
    '{"blocksChannels":64,"blocksSegments":4,"blocksSlim":true}' \
    '{"blocksChannels":64,"blocksSegments":4,"blocksSlim":true,"blocksSums":"parallel","blocksPhase1":"together"}' \
    '{"blocksSlim":true,"blocksSums":"parallel","blocksPhase1":"together"}' \
    '{"blocksChannels":64,"blocksSegments":4,"blocksSlim":true,"blocksSharedDA":true}' \
    '{"blocksSlim":true}'
  ;;
confirm)
  # the new 'auto' backward (WD 64 x 4 x 4, slim) against the form 'auto' ran before, in the rows and
  # in the steps, each tuning twice
  call c19k 150 3 "$AUTO|blocks, 32 ch x 8 segments x 4 steps:|blocks, 64 ch x 4 segments x 4 steps:|blocks slim, serial sums, 64 ch x 4 segments x 4 steps|blocks slim, serial sums, 32 ch x 8 segments x 4 steps|blocks slim, parallel sums (4 a column), 32 ch x 8 segments x 4 steps" \
    '{"forwardMode":"auto"}' '{"blocksChannels":32,"blocksSegments":8,"blocksSlim":false}' \
    '{"forwardMode":"auto","stagedUnroll":4}' '{"blocksChannels":32,"blocksSegments":8,"blocksSlim":false,"stagedUnroll":4}'
  ;;
bounds)
  # the slim forms with the sums' (and the together pass's) loop bounds from uniforms: if the forms'
  # losses are registers taken by written-out loops, these should keep their gains without them
  call c19u 200 2 "$AUTO|blocks, 64 ch x 4 segments x 4 steps:|blocks slim" \
    '{"forwardMode":"auto"}' '{"blocksUniformBounds":true}' \
    '{"blocksUniformBounds":true,"blocksSums":"parallel","blocksPhase1":"together"}' \
    '{"blocksUniformBounds":true,"blocksSums":"parallel","blocksPhase1":"together","blocksChannels":32,"blocksSegments":4,"blocksSteps":8}'
  ;;
*)
  echo "usage: bash bench/plans/h200-19.sh where|forms|confirm|bounds" >&2
  exit 2
  ;;
esac
