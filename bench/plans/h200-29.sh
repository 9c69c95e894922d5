#!/usr/bin/env bash
# Session 29's device calls (issue 12: the scan at 30 % of copy bandwidth). Two loads-first forms:
# the staged forward's next tile loaded by written-out code indexing its register arrays by constants
# (stagedNamedLoads: no loop over arrays that a compiler might keep in local memory, each load waiting
# for the one before it), and the staged backward's chunk rows double-buffered (stagedBackwardRows:
# the next chunk's rows loaded before this chunk's walk, stored after it).
#   bash bench/plans/h200-29.sh first   (~4 min) at L 1024 (3 processes) the staged forward at 'auto''s
#     layout with and without the loads written out, at T 32 and at 2 lanes, the no-scan diagnostic
#     both ways, and 'auto''s backward with and without its rows staged; the paper's Mamba shape (1);
#     the paper-size steps with 'auto', the loads written out, and the backward's rows staged.
#   bash bench/plans/h200-29.sh scatter (~5 min) the staged forward with y's sums over lanes by a
#     reduce-scatter (stagedScatter) at 'auto''s layout, U 8, branchless softplus, 2 and 8 lanes, beside
#     'auto' (3 processes at L 1024, 3 at the paper's Mamba shape with the backward's rows staged and
#     not); the paper-size steps with 'auto', the scatter, and the backward's rows staged.
#   bash bench/plans/h200-29.sh confirm (~4 min) 'auto' as it now runs (the forward with y scattered and
#     the softplus without branches, the backward's rows staged) beside session 28's forward: L 1024
#     (3 processes), the paper's Mamba shape (2), the paper-size steps twice.
#   bash bench/plans/h200-29.sh again  the same as confirm, 4 processes at L 1024, new call names.
#   bash bench/plans/h200-29.sh waves  (~5 min) how many of the staged forward's workgroups an SM holds:
#     B 33 / 34 and 66 / 67 at L 1024 (132 SMs: 132, 136, 264, 268 workgroups of 256 invocations;
#     a step in time between a pair says where a wave ends), 2 processes each; then confirm again.
#   bash bench/plans/h200-29.sh turns  (~3 min) the staged forward with y scattered and the softplus
#     without branches at U 4, 8, 16 (4 lanes), T 32 U 8, 2 lanes U 8, beside session 28's 'auto':
#     L 1024 at B 64 (3 processes) and B 33 (2).
#   bash bench/plans/h200-29.sh resident (~3 min) whether a layout with fewer registers lets an SM hold
#     three workgroups: B 64, 67, 100 at L 1024, 2 processes each.
#   bash bench/plans/h200-29.sh laneuz (~4 min) the staged forward with u and z loaded by the lane that
#     needs them (stagedLaneUz) beside 'auto', B 64, 67, 100 and the paper's Mamba shape.
#   bash bench/plans/h200-29.sh final  (~3 min) 'auto' as the session leaves it, beside the form before.
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log (medians over the processes).
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
TURN="in phases, exp2, vec4 rows, inputs shared"
F="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN|staged, 64 ch x 4 lanes, T 32, |staged, 64 ch x 2 lanes, T 16, 4 steps written out, $TURN|staged, 128 ch x 2 lanes, T 16, 4 steps|staged diagnostic no-scan, 64 ch x 1 lanes, T 16, 4 steps written out, in phases, exp2, vec4 rows"
B="auto: staged|auto, rows staged"
case "${1:-}" in
first)
  call c29f 150 3 "$F|$B" '{"backwardMode":"auto"}' '{"stagedNamedLoads":true}' '{"stagedBackwardRows":true}'
  SHAPE=64,82,512 call c29p 120 1 "$F|$B"
  ;;
scatter)
  S="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN|staged, 64 ch x 4 lanes, T 16, 8 steps written out, $TURN, y|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|staged, 64 ch x 2 lanes, T 16, 4 steps written out, $TURN|staged, 128 ch x 2 lanes, T 16, 4 steps written out, $TURN|staged, 32 ch x 8 lanes"
  call c29s 150 3 "$S" '{"backwardMode":"auto"}' '{"stagedScatter":true}' '{"stagedBackwardRows":true}'
  SHAPE=64,82,512 call c29q 120 3 "$S|$B"
  ;;
confirm)
  C="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN (wanted|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|auto: staged"
  call c29c 150 3 "$C"
  SHAPE=64,82,512 call c29d 120 2 "$C" '{"backwardMode":"auto"}' '{"backwardMode":"auto" }'
  ;;
again)
  # confirm once more (new call names), for a settled card
  C="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN (wanted|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|auto: staged"
  call c29g 150 4 "$C"
  SHAPE=64,82,512 call c29h 120 2 "$C" '{"backwardMode":"auto"}'
  ;;
waves)
  W="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN (wanted|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|staged, 64 ch x 2 lanes, T 16, 4 steps written out, $TURN, y"
  for bb in 33 34 66 67; do SHAPE=$bb,1024,256 call c29w$bb 90 2 "$W"; done
  C="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN (wanted|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|auto: staged"
  call c29e 150 3 "$C" '{"backwardMode":"auto"}'
  ;;
turns)
  U="staged, 64 ch x 4 lanes, T 16, 4 steps written out, $TURN (wanted|staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus|staged, 64 ch x 4 lanes, T 16, 8 steps written out, branchless softplus|staged, 64 ch x 4 lanes, T 16, 16 steps written out, branchless softplus|staged, 64 ch x 4 lanes, T 32, 8 steps written out, branchless softplus|staged, 64 ch x 2 lanes, T 16, 8 steps written out, branchless softplus"
  call c29u 120 3 "$U"
  SHAPE=33,1024,256 call c29v 100 2 "$U"
  ;;
resident)
  # how many workgroups an SM holds by layout (registers): B 64, 67 and 100 (256, 268, 400
  # workgroups; three an SM would hold 396), 2 processes each: 'auto', T 8, 2 lanes at U 2
  Q="staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|staged, 64 ch x 4 lanes, T 8, 4 steps written out, $TURN|staged, 64 ch x 2 lanes, T 16, 2 steps written out, $TURN"
  for bb in 64 67 100; do SHAPE=$bb,1024,256 call c29r$bb 90 2 "$Q"; done
  ;;
laneuz)
  # u and z by the lane that needs them (only the rows staged: a quarter of the workgroup memory),
  # beside 'auto': B 64 (3 processes), 67 and 100 (2 each), the paper's Mamba shape (2); the
  # paper-size steps with it
  Z="staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y|staged, 64 ch x 4 lanes, T 32, 4 steps written out, branchless softplus, $TURN, y scattered, u|staged, 64 ch x 2 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y scattered, u"
  call c29z64 120 3 "$Z" '{"backwardMode":"auto"}' '{"stagedLaneUz":true}'
  for bb in 67 100; do SHAPE=$bb,1024,256 call c29z$bb 90 2 "$Z"; done
  SHAPE=64,82,512 call c29zp 90 2 "$Z"
  ;;
final)
  # 'auto' as the session leaves it (u and z by lane, T 32) beside the form before it, B 64 (3
  # processes) and the paper's Mamba shape (2); the paper-size steps with 'auto'
  X="staged, 64 ch x 4 lanes, T 16, 4 steps written out, branchless softplus, $TURN, y scattered (wanted|staged, 64 ch x 4 lanes, T 32, 4 steps written out, branchless softplus, $TURN, y scattered, u|auto: staged"
  call c29x 120 3 "$X" '{"backwardMode":"auto"}'
  SHAPE=64,82,512 call c29y 90 2 "$X"
  ;;
*)
  echo "usage: bash bench/plans/h200-29.sh first|scatter|confirm|again|waves|turns|resident|laneuz|final" >&2
  exit 2
  ;;
esac
