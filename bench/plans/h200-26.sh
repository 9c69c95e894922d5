#!/usr/bin/env bash
# Session 26's device calls (issue 12: the scan backward). The device keeps nothing between calls.
#   bash bench/plans/h200-25.sh ahead   (planned in session 25, first run in session 26)
#   bash bench/plans/h200-26.sh lanes   one call (~6 min): the block-parallel backward with a channel's
#     segments on neighbouring lanes, their maps joined by shuffles (blocksSegLanes: no barrier a
#     state), at WD x TL x E from 16 x 16 x 1 to 128 x 2 x 8, from the staged starts pass and from
#     the first pass, beside 'auto''s backward, at L 1024 (5 processes) and the paper's Mamba shape
#     (3); the paper-size steps now and with the segments on lanes.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log (medians over the processes).
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
case "${1:-}" in
lanes)
  BACKWARD=(
    "blocks starts pass, slim, subgroup sums ("
    "blocks staged starts pass, slim, rows once a state, "
    "blocks slim, rows once a state, " "blocks segments on lanes"
  )
  SHAPE=64,82,512 call c26p 120 3 "$(IFS='|'; echo "${BACKWARD[*]}")"
  call c26l 150 5 "$(IFS='|'; echo "${BACKWARD[*]}")" '{"forwardMode":"auto"}' '{"blocksSegLanes":true}' \
    '{"blocksSegLanes":true,"blocksChannels":64,"blocksSegments":2,"blocksSteps":8}'
  ;;
*)
  echo "usage: bash bench/plans/h200-26.sh lanes" >&2
  exit 2
  ;;
esac
