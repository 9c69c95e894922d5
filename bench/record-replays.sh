#!/usr/bin/env bash
# Record the classroom replays ("Watch a recorded run", docs/REPLAYS.md) on a GPU machine: the
# classroom preset of each task, Transformer, Mamba and MambaFormer, trained through WebGPU (Dawn)
# by the CLI with --record, one process per task in parallel, seed 0, baselines included.
#   bench/gpu-bundle.sh src/cli/main.ts   (bundles the CLI into .gpu/main.mjs)
#   on the GPU machine (carry [".gpu"]): bash bench/record-replays.sh "$OUT/replays" SECONDS [task ...]
#   back here: npx tsx bench/merge-replays.ts public/replays <the folder that came back>/*/
# Each task writes OUTDIR/<task>/<task>.iclreplay and OUTDIR/<task>/index.json, and its log to
# OUTDIR/<task>.log. No task given: all of them. EXTRA="--steps 2000" adds CLI options. A process
# still running after SECONDS is stopped (it writes no replay: give it the time it needs).
set -u
out=$1; seconds=$2; shift 2
tasks=${*:-linear-regression sparse-linear-regression relu-nn-regression decision-tree orthogonal-outlier-regression many-outlier-regression sparse-parity vector-mqar chain-of-thought token-mqar}
mkdir -p "$out"
# run.sh unpacks the Vulkan loader into / and runs ldconfig: once, not from every process
bash .gpu/run.sh .gpu/main.mjs help >/dev/null 2>&1
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
for task in $tasks; do
  mkdir -p "$out/$task"
  (cd .gpu && timeout "$seconds" /tmp/node main.mjs train --task "$task" --preset classroom \
    --backend webgpu --seed 0 ${EXTRA:-} --out "/tmp/runs/replay-$task" \
    --record "$out/$task/$task.iclreplay") >"$out/$task.log" 2>&1 &
done
wait
tail -n 2 "$out"/*.log
