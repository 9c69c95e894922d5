#!/usr/bin/env bash
# Next device session (issue 12: the scan). Planned in session 24, not yet run. The device keeps
# nothing between calls.
#   bash bench/plans/h200-25.sh forward   one call (~4 min), on an H200 if one is lent: session 24's
#     forward ('auto': 4 lanes, U 4, inputs shared, vec4 rows) beside session 23's, with the
#     neighbouring layouts, in 10 processes (bench/plans/h200-24.sh final under another name: every
#     session-24 call got an H100).
#   bash bench/plans/h200-25.sh rows   one call (~5 min): the block-parallel backward with each
#     state's B_t and C_t read once into registers (blocksRows) beside 'auto''s (starts pass, slim,
#     subgroup sums) and the full form, at the benchmark's shape (10 processes) and the paper's Mamba
#     shape B 64, L 82, Di 512 (4 processes); the paper-size steps with and without.
#   Both ran in session 25 (calls c25f, c25r, c25p, on an H200).
#   bash bench/plans/h200-25.sh starts   one call (~6 min): the backward's chunk starts by the staged
#     forward's walk (blocksStartsStaged) beside the one-lane walk, alone and inside 'auto''s backward,
#     at L 1024 (8 processes) and at the paper's Mamba shape (4 processes, where 'auto' runs the first
#     pass); the staged forward with tiles of 32 steps; the paper-size steps with the staged starts
#     from 2 chunks on, with and without the rows once a state.
#   Ran in session 25 (calls c25q, c25s, on an H100).
#   bash bench/plans/h200-25.sh ahead   one call (~6 min; planned, not yet run: device loans were
#     paused for the rest of session 25): 'auto''s backward as session 25 left it
#     (staged starts, rows once a state) beside session 24's, and with the segment maps of 4 or 8
#     states before one barrier (blocksAhead), at L 1024 (6 processes) and the paper's Mamba shape (3,
#     where 'auto' runs the first pass); the staged forward with lanes of two states (8 lanes a
#     channel, stagedHalves) beside 'auto''s; the backward with each channel's states over 2 or 4
#     parts of the workgroup (blocksParts, at WD 16-64 x TL 2-4); the paper-size steps: now, as in
#     session 24, with blocksAhead 8, with 4 parts at WD 16 x TL 4 x E 4.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log (medians over the processes).
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
P=", in phases, exp2"
case "${1:-}" in
forward)
  V="$P, vec4 rows, inputs shared"
  ROWS="staged, 64 ch x 4 lanes, T 16, 4 steps written out$V|staged, 64 ch x 4 lanes, T 16, 8 steps written out$V"
  ROWS="$ROWS|staged, 64 ch x 2 lanes, T 16, 4 steps written out$V|staged, 64 ch x 1 lanes, T 16, 4 steps written out$P ("
  ROWS="$ROWS|staged diagnostic no-scan, 64 ch x 1 lanes, T 16, 4 steps written out$P"
  ROWS="$ROWS|blocks starts pass, slim, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c25f 60 10 "$ROWS" '{"forwardMode":"auto"}' \
    '{"stagedLanes":1,"stagedUnroll":4,"stagedVecRows":false,"stagedShare":false}'
  ;;
rows)
  ROWS="blocks starts pass, slim, subgroup sums (|blocks starts pass, slim, rows once a state, subgroup sums ("
  ROWS="$ROWS|blocks starts pass, subgroup sums (|blocks starts pass, rows once a state, subgroup sums ("
  SHAPE=64,82,512 call c25p 90 4 "$ROWS"
  call c25r 90 10 "$ROWS" '{"forwardMode":"auto"}' '{"blocksRows":true}'
  ;;
starts)
  V="$P, vec4 rows, inputs shared"
  ROWS="blocks starts pass, slim, subgroup sums (|blocks starts pass, slim, rows once a state, subgroup sums ("
  ROWS="$ROWS|blocks staged starts pass, slim, subgroup sums (|blocks staged starts pass, slim, rows once a state"
  ROWS="$ROWS|blocks slim, subgroup sums (|starts alone"
  SHAPE=64,82,512 call c25q 90 4 "$ROWS"
  ROWS="$ROWS|staged, 64 ch x 4 lanes, T 16, 4 steps written out$V|staged, 64 ch x 4 lanes, T 32|staged, 32 ch x 4 lanes, T 32"
  call c25s 120 8 "$ROWS" '{"forwardMode":"auto"}' '{"blocksStartsStaged":true}' \
    '{"blocksStartsStaged":true,"blocksStartsFromChunks":2}' \
    '{"blocksStartsStaged":true,"blocksStartsFromChunks":2,"blocksRows":true}'
  ;;
ahead)
  # the row prefixes, one a line: the backward's forms, then (L 1024 only) the forwards
  BACKWARD=(
    "blocks starts pass, slim, subgroup sums ("
    "blocks staged starts pass, slim, rows once a state, "
    "blocks slim, subgroup sums (" "blocks slim, rows once a state, " "blocks slim, 8"
    "starts alone" "blocks states in"
  )
  FORWARD=("staged, 64 ch x 4 lanes, T 16, 4 steps written out$P, vec4 rows, inputs shared" "staged, 32 ch x 8 lanes")
  SHAPE=64,82,512 call c25b 120 3 "$(IFS='|'; echo "${BACKWARD[*]}")"
  call c25a 150 6 "$(IFS='|'; echo "${BACKWARD[*]}|${FORWARD[*]}")" '{"forwardMode":"auto"}' '{"blocksStartsStaged":false,"blocksRows":false}' \
    '{"blocksAhead":8}' '{"blocksParts":4,"blocksChannels":16,"blocksSegments":4,"blocksSteps":4}'
  ;;
*)
  echo "usage: bash bench/plans/h200-25.sh forward|rows|starts|ahead" >&2
  exit 2
  ;;
esac
