#!/usr/bin/env bash
# H200, session 23 (issue 12: the scan forward). The device keeps nothing between calls.
#   bash bench/plans/h200-23.sh turn   one call (~3 min): the staged forward's loop turn in phases
#     (stagedGrouped: Δ, the gates and Δ u of the turn's U steps first, then the states, then the U
#     stores under one branch) and exp2 (stagedExp2: log2 e folded into A), alone and together, at
#     U 2 to 16 and the neighbouring layouts, three times, with the diagnostics in both forms; the
#     block-parallel backward with its starts pass, slim and full (call 21k put slim ahead at every
#     shape, where session 20 had the full form ahead); then the paper-size steps with each form.
#   bash bench/plans/h200-23.sh pairs   one call (~5 min): the block-parallel backward's states two
#     at a time (blocksPairs) against one at a time, in each form with the subgroup sums, at the
#     benchmark's shape and the paper's Mamba's; the paper-size steps with and without. Ran once
#     (call 23p/23q, an H100); the form lost and was removed, so its rows and blocksPairs are gone.
#   bash bench/plans/h200-23.sh final   one call (~2 min): 'auto''s forward and backward as they are
#     since session 23 beside the forms they replaced, three times; the paper-size steps.
#   bash bench/plans/h200-23.sh ab   one call (~4 min): every staged row in 16 processes (medians:
#     bench/results/2026-12-05-h200-23/c23ab/rows.md). As run at 15:30 the loop named four rows
#     each time, but a list without '|' is split at its commas, so each of its 16 processes timed
#     every row starting 'staged', as this one does.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log: the rows that repeat.
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
S="staged, 64 ch x 1 lanes"
case "${1:-}" in
final)
  # what 'auto' runs since session 23 (the turn in phases with exp2; the backward slim with the
  # starts pass) beside the forms it replaced, three times, and the paper-size steps
  ROWS="$S, T 16, 4 steps written out, in phases, exp2 (|$S, T 16, 4 steps written out (|staged diagnostic no-scan"
  ROWS="$ROWS|blocks starts pass, slim, subgroup sums (32 lanes), 64 ch x 4 segments x 4|blocks starts pass, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c23f 100 3 "$ROWS" '{"forwardMode":"auto"}'
  ;;
pairs)
  # the block-parallel backward with its states two at a time (blocksPairs), against one at a time,
  # at the benchmark's shape (four runs) and the paper's Mamba's (B 64, L 82, Di 512; three runs)
  P="subgroup sums (32 lanes)"
  ROWS="blocks starts pass, slim, $P|blocks starts pass, $P|blocks slim, $P"
  SHAPE=64,82,512 call c23q 120 3 "$ROWS"
  call c23p 150 4 "$ROWS" '{"forwardMode":"auto"}' '{"blocksPairs":true}' '{"blocksPairs":true,"blocksSlim":true}'
  ;;
ab)
  # calls 23t/23u: the turn in phases with exp2 10-25 % ahead of 'auto''s turn, but each process ran
  # its rows in one order ('auto''s early) on a card 30 % slower than at 15:00. Here every staged
  # row (layouts and diagnostics, as bench/gpu.ts orders them) in 16 processes one after the other
  mkdir -p /tmp/c23ab
  for i in $(seq 16); do
    OUT=/tmp/c23ab timeout 60 $R .gpu/gpu.mjs --sections copy,scan --sizes paper --scan-variants "staged" \
      >"/tmp/c23ab/gpu-$i.log" 2>&1
    (cd /tmp && tar czf "$OUT/c23ab.tgz" c23ab)
  done
  ;;
turn)
  ROWS="$S, T 16, 4 steps|$S, T 16, 2 steps|$S, T 16, 8 steps|$S, T 16, 16 steps|$S, T 8, 8 steps"
  ROWS="$ROWS|staged, 32 ch x 1 lanes, T 16, 4 steps|staged, 128 ch x 1 lanes, T 16, 4 steps|staged, 64 ch x 2 lanes, T 16, 4 steps|staged diagnostic"
  ROWS="$ROWS|blocks starts pass, slim, subgroup sums (32 lanes), 64 ch x 4 segments x 4|blocks starts pass, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c23t 150 3 "$ROWS" '{"forwardMode":"auto"}' '{"stagedGrouped":true,"stagedExp2":true}' \
    '{"stagedGrouped":true,"stagedExp2":true,"stagedUnroll":8}' '{"blocksSlim":true}'
  ;;
*)
  echo "usage: bash bench/plans/h200-23.sh turn|ab|pairs|final" >&2
  exit 2
  ;;
esac
