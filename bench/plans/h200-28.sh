#!/usr/bin/env bash
# Session 28's device calls (issue 12: the scan backward). Session 27's staged backward, timed at the
# start of session 28, beat the block-parallel backward only at 2 lanes a channel (64 x 2 x K 8:
# 1.69 ms against 2.46 at L 1024). This sweeps around that corner:
#   bash bench/plans/h200-28.sh sweep   (~2 min) the staged backward at SP 2 and SP 1, K 4 to 16, written
#     out or in loops, beside 'auto', at L 1024 (3 processes) and the paper's Mamba shape (1); the
#     paper-size steps with 'auto' and the staged backward at 64 x 2 x 8 and 64 x 1 x 4.
#   bash bench/plans/h200-28.sh steps   (~1 min) the paper-size steps only, 'auto' beside the staged
#     backward at 64 x 2 x 8 (after tuning.ts takes it: 'auto' then is that layout)
# Then, here: npx tsx bench/scan-rows.ts <call>/gpu-*.log (medians over the processes).
# Needs .gpu/ (bench/gpu-bundle.sh bench/gpu.ts bench/replay-step.ts, the .mjs xz'd; see
# bench/README.md) and `bash bench/device-tree.sh slim` here before the call (`restore` after).
# Comes back: $OUT/*.tgz.
set -u
# shellcheck source=bench/plans/scan-call.sh
source "$(dirname "$0")/scan-call.sh"
S2='{"backwardMode":"staged","stagedBackwardChannels":64,"stagedBackwardLanes":2,"stagedBackwardSteps":8,"stagedBackwardFill":0}'
S1='{"backwardMode":"staged","stagedBackwardChannels":64,"stagedBackwardLanes":1,"stagedBackwardSteps":4,"stagedBackwardFill":0}'
case "${1:-}" in
sweep)
  ROWS="blocks staged starts pass, slim, rows once a state, subgroup sums (32 lanes), 64 ch x 4 segments x 4|staged backward"
  call c28s 200 3 "$ROWS" '{"backwardMode":"auto"}' "$S2" "$S1"
  SHAPE=64,82,512 call c28p 150 1 "$ROWS"
  ;;
fit)
  # the lanes rule (stagedBackwardFill 32768) at shapes on both sides of it, 1 process each; the
  # paper-size steps with 'auto' (now the fitted staged backward), the block-parallel one, and S2
  ROWS="blocks staged starts pass, slim, rows once a state, subgroup sums (32 lanes), 64 ch x 4 segments x 4|staged backward, 64 ch x 2 lanes, K 4 written|staged backward, 128 ch x 1 lanes, K 4 written|staged backward, 32 ch x 4 lanes, K 4|staged backward, 64 ch x 2 lanes, K 8 written out, Δ"
  SHAPE=32,82,512 call c28a 150 1 "$ROWS"
  SHAPE=128,1024,256 call c28b 150 1 "$ROWS"
  SHAPE=16,64,128 call c28c 150 1 "$ROWS"
  call c28d 150 1 "$ROWS" '{"backwardMode":"auto"}' '{"stagedBackward":false}' "$S2"
  ;;
confirm)
  # 'auto' (the fitted staged backward) beside the block-parallel one: L 1024 (3 processes), the
  # paper's Mamba and MambaFormer scan shapes (1 each); the paper-size steps twice each way
  ROWS="auto|blocks staged starts pass, slim, rows once a state, subgroup sums (32 lanes), 64 ch x 4 segments x 4"
  call c28e 150 3 "$ROWS"
  SHAPE=64,82,512 call c28f 150 1 "$ROWS"
  call c28g 150 0 "$ROWS" '{"backwardMode":"auto"}' '{"stagedBackward":false}' '{"backwardMode":"auto" }' '{"stagedBackward":false }'
  ;;
probe)
  # what a chunk-parallel staged backward could reach: the same work as B 64 x L 1024 as 16 times the
  # prompts of L 64 (every range of 64 steps its own walk), 2 processes
  ROWS="auto|staged backward, 64 ch x 2 lanes, K 8 written out, Δ|staged backward, 128 ch x 1 lanes, K 4 written|staged backward, 32 ch x 4 lanes, K 4"
  SHAPE=1024,64,256 call c28h 150 2 "$ROWS"
  SHAPE=4096,16,256 call c28i 150 1 "$ROWS"
  ;;
where)
  # where the time of 'auto''s staged backward goes (each diagnostic leaves one part out), at L 1024
  # (2 processes) and the paper's Mamba shape (1)
  ROWS="auto|staged diagnostic"
  call c28w 150 2 "$ROWS"
  SHAPE=64,82,512 call c28x 150 1 "$ROWS"
  ;;
inline)
  # the staged backward's chunk starts written by itself (one dispatch fewer) or by a pass of their
  # own, at the paper's Mamba shape and L 1024 (2 processes each); the paper-size steps (dispatches)
  ROWS="auto"
  SHAPE=64,82,512 call c28j 120 2 "$ROWS"
  call c28k 120 2 "$ROWS" '{"backwardMode":"auto"}' '{"stagedBackwardInlineChunks":0}' '{"stagedBackward":false}'
  ;;
rows)
  # the staged backward's chunk rows of x_dbl in workgroup memory (stagedBackwardRows) beside 'auto', at
  # L 1024 (2 processes) and the paper's Mamba shape (1)
  call c28r 45 2 "auto"
  SHAPE=64,82,512 call c28q 45 1 "auto"
  ;;
steps)
  call c28t 150 1 "staged backward, 64 ch x 2 lanes, K 8" '{"backwardMode":"auto"}' "$S2" '{"backwardMode":"blocks"}'
  ;;
*)
  echo "usage: bash bench/plans/h200-28.sh sweep|fit|confirm|probe|where|inline|rows|steps" >&2
  exit 2
  ;;
esac
