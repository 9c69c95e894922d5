#!/usr/bin/env bash
# H200 / H100, session 24 (issue 12: the scan forward). The device keeps nothing between calls.
#   bash bench/plans/h200-24.sh rows   one call (~6 min): the staged forward's rows copied as
#     x_dbl's own vec4s (stagedVecRows) beside the scalar copy, at 1 and 2 lanes a channel, U 2 and 4,
#     128 channels, and the no-scan diagnostic in both, in 12 processes one after the other (medians:
#     npx tsx bench/scan-rows.ts c24r/gpu-*.log); 'auto''s backward once a process (the subgroup
#     sums must still run: the device's subgroups pass the layout check, "subgroups:" in each log);
#     then the paper-size steps as 'auto' runs them, with the vec4 rows and with 2 lanes.
#   bash bench/plans/h200-24.sh confirm   one call (~4 min): 'auto''s forward since session 24 (2
#     lanes, U 2, vec4 rows), its 1-lane form (devices without usable subgroups) and session 23's
#     (1 lane, U 4, the scalar row copy), in 10 processes; 'auto''s backward; the paper-size steps
#     as 'auto' runs them now and as in session 23.
#   bash bench/plans/h200-24.sh chunks   one call (~4 min): the staged forward with L in chunks
#     (stagedChunkSteps 128 / 256 / 512: two programs, K times the workgroups) beside one walk over
#     L, at 'auto''s layout and its 1-lane form, in 8 processes; the paper-size steps with chunks of
#     32 and 48 steps (L 82: 3 and 2 chunks). Ran once (call 24k, an H100): every chunked row
#     was 1.3-1.7x slower than one walk over L, so the form (stagedChunkSteps) was removed and this
#     mode no longer finds its rows.
#   bash bench/plans/h200-24.sh share   one call (~4 min): the staged forward with a turn's inputs
#     computed once a channel by the lane owning the step (stagedShare) beside every lane computing
#     every step's, at 2 lanes U 2 and U 4, 4 lanes U 4 and 128 channels x 2 lanes, in 10
#     processes; the paper-size steps with and without.
#   bash bench/plans/h200-24.sh final   one call (~4 min): 'auto' as it runs since session 24 (4 lanes,
#     U 4, inputs shared) beside its neighbours (U 8, 32 channels, T 8, 2 lanes) and session 23's
#     'auto', in 10 processes; 'auto''s backward; the paper-size steps now and as in session 23.
#   bash bench/plans/h200-24.sh again   one short call (~1.5 min): 'auto''s forward since session 24
#     beside session 23's, in 8 processes, no steps: for a card the other calls did not get.
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
P=", in phases, exp2"
case "${1:-}" in
rows)
  ROWS="staged, 64 ch x 1 lanes, T 16, 4 steps written out$P|staged, 64 ch x 1 lanes, T 16, 2 steps written out$P"
  ROWS="$ROWS|staged, 64 ch x 2 lanes, T 16, 4 steps written out$P|staged, 64 ch x 2 lanes, T 16, 2 steps written out$P"
  ROWS="$ROWS|staged, 128 ch x 1 lanes, T 16, 4 steps written out$P|staged diagnostic no-scan, 64 ch x 1 lanes, T 16, 4 steps written out$P"
  ROWS="$ROWS|blocks starts pass, slim, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c24r 60 12 "$ROWS" '{"forwardMode":"auto"}' '{"stagedVecRows":true}' '{"stagedLanes":2}' \
    '{"stagedLanes":2,"stagedVecRows":true}'
  ;;
confirm)
  ROWS="staged, 64 ch x 2 lanes, T 16, 2 steps written out$P, vec4 rows|staged, 64 ch x 1 lanes, T 16, 2 steps written out$P, vec4 rows"
  ROWS="$ROWS|staged, 64 ch x 1 lanes, T 16, 4 steps written out$P (|staged diagnostic no-scan, 64 ch x 1 lanes, T 16, 4 steps written out$P"
  ROWS="$ROWS|blocks starts pass, slim, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c24c 60 10 "$ROWS" '{"forwardMode":"auto"}' '{"stagedLanes":1,"stagedUnroll":4,"stagedVecRows":false}'
  ;;
chunks)
  ROWS="staged, 64 ch x 2 lanes, T 16, 2 steps written out$P, vec4 rows|staged, 64 ch x 1 lanes, T 16, 2 steps written out$P, vec4 rows"
  ROWS="$ROWS|staged, 64 ch x 2 lanes, T 16, 4 steps written out$P, vec4 rows|staged, 32 ch x 2 lanes, T 16, 2 steps written out$P, vec4 rows"
  call c24k 60 8 "$ROWS" '{"forwardMode":"auto"}' '{"stagedChunkSteps":32}' '{"stagedChunkSteps":48}'
  ;;
share)
  V="$P, vec4 rows"
  ROWS="staged, 64 ch x 2 lanes, T 16, 2 steps written out$V|staged, 64 ch x 2 lanes, T 16, 4 steps written out$V"
  ROWS="$ROWS|staged, 64 ch x 4 lanes, T 16, 4 steps written out$V|staged, 128 ch x 2 lanes, T 16, 2 steps written out$V"
  call c24s 60 10 "$ROWS" '{"forwardMode":"auto"}' '{"stagedShare":true}'
  ;;
final)
  V="$P, vec4 rows, inputs shared"
  ROWS="staged, 64 ch x 4 lanes, T 16, 4 steps written out$V|staged, 64 ch x 4 lanes, T 16, 8 steps written out$V"
  ROWS="$ROWS|staged, 32 ch x 4 lanes, T 16, 4 steps written out$V|staged, 64 ch x 4 lanes, T 8, 4 steps written out$V"
  ROWS="$ROWS|staged, 64 ch x 2 lanes, T 16, 8 steps written out$V|staged, 64 ch x 2 lanes, T 16, 4 steps written out$V"
  ROWS="$ROWS|staged, 64 ch x 1 lanes, T 16, 4 steps written out$P (|staged diagnostic no-scan, 64 ch x 1 lanes, T 16, 4 steps written out$P"
  ROWS="$ROWS|blocks starts pass, slim, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c24f 60 10 "$ROWS" '{"forwardMode":"auto"}' \
    '{"stagedLanes":1,"stagedUnroll":4,"stagedVecRows":false,"stagedShare":false}'
  ;;
again)
  ROWS="staged, 64 ch x 4 lanes, T 16, 4 steps written out$P, vec4 rows, inputs shared|staged, 64 ch x 1 lanes, T 16, 4 steps written out$P ("
  call c24a 60 8 "$ROWS"
  ;;
*)
  echo "usage: bash bench/plans/h200-24.sh rows|confirm|chunks|share|final|again" >&2
  exit 2
  ;;
esac
