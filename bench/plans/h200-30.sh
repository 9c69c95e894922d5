#!/usr/bin/env bash
# Session 30's device calls (issue 12: the scan at 30 % of copy bandwidth).
#   bash bench/plans/h200-30.sh gputime (~5 min) every row timed twice: as before (wall clock over 20
#     calls queued back to back) and on the GPU alone (gpu.ts --gpu-time: timestamp queries around each
#     dispatch, the copy the same way), with each call's host enqueue. 'auto''s forward, the form
#     before it, the no-scan diagnostic and 'auto''s backward at B 64 (3 processes), B 33 and B 100
#     (1 each), the paper's Mamba shape (2); B 64 once more with Dawn's bounds checks off (a
#     diagnostic: what the checks cost). Dawn quantized these timestamps to 2^16 ns (65.5 µs): the
#     figures came back in whole steps of that.
#   bash bench/plans/h200-30.sh gpu    (~5 min) the same rows with the timestamps unquantized (mean of
#     15 calls) and each row's time a call in a long queue (100 calls less 20, so the host's enqueue of
#     the first submission is left out): B 64 (3 processes), B 100 (1), the paper's Mamba shape (2),
#     B 64 with the bounds checks off (1).
#   bash bench/plans/h200-30.sh ahead  (~5 min) u and z by lane 1, 2 and 4 turns ahead at T 32 and T 16,
#     beside the staged u and z (T 16), --gpu-time: B 64 (3 processes), B 100 (1), the paper's Mamba
#     shape (2).
#   bash bench/plans/h200-30.sh backward (~5 min) every staged backward layout, 'auto''s and its
#     diagnostics, --gpu-time (each program's GPU time: the starts pass, the backward, the sums): B 64,
#     L 1024 (2 processes), the paper's Mamba shape (1).
#   bash bench/plans/h200-30.sh final  (~4 min) 'auto' as the session leaves it (the forward's new rule:
#     staged u and z below 384 workgroups), beside u and z by lane at T 32, --gpu-time: B 64 (2
#     processes, then the paper-size steps replayed), the paper's Mamba shape (2).
#     CALL=name: other call names (a second run).
#   bash bench/plans/h200-30.sh layouts (~3 min) the staged forward's layouts with y scattered (staged u
#     and z) by GPU time, 'auto''s beside them: B 64, L 1024 (2 processes).
#   bash bench/plans/h200-30.sh unroll (~3 min) 4 and 8 steps a turn, staged u and z at T 16 and u and z
#     by lane at T 32, by GPU time: B 64 (2 processes), B 100 (1), the paper's Mamba shape (2).
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log (medians over the processes).
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
TURN="in phases, exp2, vec4 rows, inputs shared"
# 'auto''s forward (u and z by lane, T 32), the form before it (T 16, u and z staged), no-scan, 'auto''s backward
X="staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y scattered (wanted|staged, 64 ch x 4 lanes, T 32, 4 steps written out, branchless softplus, $TURN, y scattered, u|staged diagnostic no-scan, 64 ch x 1 lanes, T 16, 4 steps written out, in phases, exp2, vec4 rows (|auto: staged"
case "${1:-}" in
gputime)
  export GPU_ARGS=--gpu-time
  call c30t 150 3 "$X"
  for bb in 33 100; do SHAPE=$bb,1024,256 call c30t$bb 90 1 "$X"; done
  SHAPE=64,82,512 call c30tp 90 2 "$X"
  GPU_ARGS="--gpu-time --dawn enable-dawn-features=allow_unsafe_apis,disable_robustness" call c30tr 120 1 "$X"
  ;;
gpu)
  export GPU_ARGS=--gpu-time
  call c30g 150 3 "$X"
  SHAPE=100,1024,256 call c30g100 90 1 "$X"
  SHAPE=64,82,512 call c30gp 90 2 "$X"
  GPU_ARGS="--gpu-time --dawn enable-dawn-features=allow_unsafe_apis,disable_robustness" call c30gr 120 1 "$X"
  ;;
ahead)
  export GPU_ARGS=--gpu-time
  A="staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y scattered|staged, 64 ch x 4 lanes, T 32, 4 steps written out, branchless softplus, $TURN, y scattered, u"
  call c30a 150 3 "$A"
  SHAPE=100,1024,256 call c30a100 90 1 "$A"
  SHAPE=64,82,512 call c30ap 90 2 "$A"
  ;;
backward)
  export GPU_ARGS=--gpu-time
  W="staged backward|auto|staged diagnostic no-channel|staged diagnostic no-chunk|staged diagnostic no-exp|staged diagnostic no-recompute|staged diagnostic no-stores"
  call c30b 240 2 "$W"
  SHAPE=64,82,512 call c30bp 150 1 "$W"
  ;;
final)
  export GPU_ARGS=--gpu-time
  F="auto|staged, 64 ch x 4 lanes, T 32, 4 steps written out, branchless softplus, $TURN, y scattered, u and z by lane ("
  call ${CALL:-c30f} 150 2 "$F" '{"backwardMode":"auto"}'
  SHAPE=64,82,512 call ${CALL:-c30f}p 90 2 "$F"
  ;;
layouts)
  export GPU_ARGS=--gpu-time
  call c30l 200 2 "auto: staged forward|staged, 64 ch x 4 lanes, T 16|staged, 32 ch x 4 lanes, T 16|staged, 128 ch x 2 lanes, T 16|staged, 64 ch x 2 lanes, T 16, 4 steps written out, branchless|staged, 64 ch x 4 lanes, T 32, 8|staged, 32 ch x 8 lanes"
  ;;
unroll)
  export GPU_ARGS=--gpu-time
  U="auto: staged forward|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y scattered (|staged, 64 ch x 4 lanes, T 16, 8 steps written out, branchless softplus, $TURN, y scattered (|staged, 64 ch x 4 lanes, T 32, 4 steps written out, branchless softplus, $TURN, y scattered, u and z by lane (|staged, 64 ch x 4 lanes, T 32, 8 steps written out, branchless softplus, $TURN, y scattered, u and z by lane ("
  call ${CALL:-c30u} 120 2 "$U"
  SHAPE=100,1024,256 call ${CALL:-c30u}100 90 1 "$U"
  SHAPE=64,82,512 call ${CALL:-c30u}p 90 2 "$U"
  ;;
*)
  echo "usage: bash bench/plans/h200-30.sh gputime|gpu|ahead|backward|final|layouts|unroll" >&2
  exit 2
  ;;
esac
