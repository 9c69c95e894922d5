#!/usr/bin/env bash
# Steps to the phenomenon on a GPU machine: the classroom preset of each task, Transformer, Mamba
# and MambaFormer, trained through WebGPU (Dawn) by the CLI, one process per task and model in
# parallel, seed 0, no baselines (they are the same seeded prompts: compute them anywhere with
# `npm run cli -- baselines`); every evaluation (every 250 steps, 256 prompts) prints the model's
# ICL curve to the log.
#   bench/gpu-bundle.sh src/cli/main.ts   (bundles the CLI into .gpu/main.mjs)
#   on the GPU machine: bash bench/steps-to-phenomenon.sh OUTDIR SECONDS task1 task2 ...
# MODELS="transformer" restricts the models, EXTRA="--lr 3e-4 --steps 6000" adds CLI options and
# TAG=name suffixes the logs. Each log is OUTDIR/<task>-<model>[-TAG].log; a process still running after SECONDS is stopped (its log keeps
# every evaluation it reached).
set -u
out=$1; seconds=$2; shift 2
mkdir -p "$out"
# run.sh unpacks the Vulkan loader into / and runs ldconfig: once, not from 30 processes at a time
bash .gpu/run.sh .gpu/main.mjs help >/dev/null 2>&1
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
for task in "$@"; do
  for model in ${MODELS:-transformer mamba mambaformer}; do
    (cd .gpu && timeout "$seconds" /tmp/node main.mjs train --task "$task" --preset classroom \
      --models "$model" --backend webgpu --seed 0 --no-baselines ${EXTRA:-} \
      --out "/tmp/runs/$task-$model${TAG:+-$TAG}") >"$out/$task-$model${TAG:+-$TAG}.log" 2>&1 &
  done
done
wait
