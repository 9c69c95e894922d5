#!/usr/bin/env bash
# Session 26's device calls (issue 12: the scan backward). The device keeps nothing between calls.
#   bash bench/plans/h200-25.sh ahead   (planned in session 25, first run in session 26)
#   bash bench/plans/h200-26.sh lanes   one call (~6 min): the block-parallel backward with a channel's
#     segments on neighbouring lanes, their maps joined by shuffles (blocksSegLanes: no barrier a
#     state), at WD x TL x E from 16 x 16 x 1 to 128 x 2 x 8, from the staged starts pass and from
#     the first pass, beside 'auto''s backward, at L 1024 (5 processes) and the paper's Mamba shape
#     (3); the paper-size steps now and with the segments on lanes.
#   bash bench/plans/h200-26.sh all   one call (~8 min): lanes and h200-25.sh ahead's rows together
#     with fewer processes (4 at L 1024, 2 at the paper's shape), for a session with little device time.
#   bash bench/plans/h200-26.sh lean   all's rows, 3 + 2 processes, two paper-size steps (~5 min).
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
all)
  # lanes and session 25's ahead in one call (~8 min), fewer processes: the segments on lanes, the
  # maps of 8 states a barrier (within the staged-starts prefix), the states in parts, the staged
  # forward with lanes of two states
  BACKWARD=(
    "blocks starts pass, slim, subgroup sums ("
    "blocks staged starts pass, slim, rows once a state, "
    "blocks slim, rows once a state, " "blocks segments on lanes" "blocks states in"
  )
  FORWARD=("staged, 64 ch x 4 lanes, T 16, 4 steps written out, in phases, exp2, vec4 rows, inputs shared" "staged, 32 ch x 8 lanes")
  SHAPE=64,82,512 call c26p 100 2 "$(IFS='|'; echo "${BACKWARD[*]}")"
  call c26l 120 3 "$(IFS='|'; echo "${BACKWARD[*]}|${FORWARD[*]}")" '{"forwardMode":"auto"}' '{"blocksSegLanes":true}' \
    '{"blocksAhead":8}' '{"blocksParts":4,"blocksChannels":16,"blocksSegments":4,"blocksSteps":4}'
  ;;
lean)
  # all's rows in one short call (~5 min) for the last minutes of device time: L 1024 first (3
  # processes), then the paper's shape (2), then the paper-size steps now and with the segments on lanes
  BACKWARD=(
    "blocks starts pass, slim, subgroup sums ("
    "blocks staged starts pass, slim, rows once a state, "
    "blocks slim, rows once a state, " "blocks segments on lanes" "blocks states in"
  )
  FORWARD=("staged, 64 ch x 4 lanes, T 16, 4 steps written out, in phases, exp2, vec4 rows, inputs shared" "staged, 32 ch x 8 lanes")
  call c26l 100 3 "$(IFS='|'; echo "${BACKWARD[*]}|${FORWARD[*]}")"
  SHAPE=64,82,512 call c26p 100 2 "$(IFS='|'; echo "${BACKWARD[*]}")" '{"forwardMode":"auto"}' '{"blocksSegLanes":true}'
  ;;
*)
  echo "usage: bash bench/plans/h200-26.sh lanes|all|lean" >&2
  exit 2
  ;;
esac
