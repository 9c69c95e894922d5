#!/usr/bin/env bash
# Steps to the phenomenon on a GPU machine: the classroom preset of each task, Transformer, Mamba
# and MambaFormer, trained through WebGPU (Dawn) by the CLI, one process per task in parallel, seed
# 0; every evaluation (every 250 steps, 256 prompts) prints the model's ICL curve to the log.
#   ../shared/tools/gpu-prep.sh src/cli/main.ts   (bundles the CLI into .gpu/main.mjs)
#   on the GPU machine: bash bench/steps-to-phenomenon.sh OUTDIR SECONDS task1 task2 ...
# Each log is OUTDIR/<task>.log; a process still running after SECONDS is stopped (its log keeps
# every evaluation it reached).
set -u
out=$1; seconds=$2; shift 2
mkdir -p "$out"
for task in "$@"; do
  timeout "$seconds" bash .gpu/run.sh .gpu/main.mjs train --task "$task" --preset classroom \
    --models transformer,mamba,mambaformer --backend webgpu --seed 0 --out "/tmp/runs/$task" \
    >"$out/$task.log" 2>&1 &
done
wait
