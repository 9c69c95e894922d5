#!/usr/bin/env bash
# Session 27's device call (issue 12: the scan backward).
#   bash bench/plans/h200-27.sh staged   one call (~6 min): the staged backward (a channel's states
#     over SP lanes, chunks of K written-out steps after the staged starts pass; backwardMode
#     'staged') at WC x SP x K from 32 x 4 x 16 to 128 x 2 x 8, beside 'auto''s block-parallel
#     backward, at L 1024 (2 processes) and the paper's Mamba shape (1); the paper-size steps with
#     'auto' and with the staged backward.
#   bash bench/plans/h200-27.sh lean     the same at L 1024 only, 2 processes (~2 min)
#   bash bench/plans/h200-27.sh last     lean in one process, the paper-size steps staged only (~1 min)
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log (medians over the processes).
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
case "${1:-}" in
staged)
  ROWS="blocks staged starts pass, slim, rows once a state, subgroup sums (32 lanes), 64 ch|staged backward"
  call c27s 200 2 "$ROWS" '{"backwardMode":"auto"}' '{"backwardMode":"staged"}' \
    '{"backwardMode":"staged","stagedBackwardChannels":64,"stagedBackwardLanes":4,"stagedBackwardSteps":8}'
  SHAPE=64,82,512 call c27p 150 1 "$ROWS"
  ;;
lean)
  # the last minutes of device time: L 1024 only (2 processes), the paper-size steps with 'auto' and staged
  ROWS="blocks staged starts pass, slim, rows once a state, subgroup sums (32 lanes), 64 ch|staged backward"
  call c27s 200 2 "$ROWS" '{"backwardMode":"auto"}' '{"backwardMode":"staged"}'
  ;;
last)
  # lean in one process (~1 min)
  ROWS="blocks staged starts pass, slim, rows once a state, subgroup sums (32 lanes), 64 ch|staged backward"
  call c27s 150 1 "$ROWS" '{"backwardMode":"staged"}'
  ;;
*)
  echo "usage: bash bench/plans/h200-27.sh staged|lean|last" >&2
  exit 2
  ;;
esac
