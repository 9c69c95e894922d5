#!/usr/bin/env bash
# Run a plan of CLI training runs on the GPU machine, JOBS at a time, each its own process
# (2-4 processes fill one H200: one alone makes 42 steps/s at D 64, batch 256, two 83, four 97, six ~105,
# 10-18 only 60-70 in total: bench/RESULTS.md, session 9).
#   bench/gpu-bundle.sh src/cli/main.ts            (bundles the CLI into .gpu/main.mjs)
#   on the GPU machine: bash bench/sweep.sh PLAN OUTDIR SECONDS [JOBS]
# PLAN: one run a line, "<tag> <train options...>" (blank lines and # comments skipped), e.g.
#   lr-tf-d64-s0 --task linear-regression --models transformer --d-model 64 --seed 0 --steps 6000
# Every run gets --backend webgpu (and --no-baselines unless it has --record) --out OUTDIR/runs/<tag>; its log (one line per
# evaluation with the model's in-context curve) is OUTDIR/<tag>.log. A run still going when SECONDS
# have passed since the sweep started is stopped; its log keeps every evaluation it reached (logs are
# appended to). A plan whose runs carry --checkpoint-every N --resume can be run again on the same
# OUTDIR (another call, another day): each run continues from its last checkpoint, a run already
# stopped at its verdict or at its steps ends at once.
# Summarise with: npx tsx bench/sweep-summary.ts OUTDIR
set -u
plan=$1; out=$2; seconds=$3; jobs=${4:-4}
mkdir -p "$out/runs"
# run.sh unpacks the Vulkan loader and runs ldconfig: once, not from many processes at a time
bash .gpu/run.sh .gpu/main.mjs help >/dev/null 2>&1
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
deadline=$(( $(date +%s) + seconds ))
while read -r tag args; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  left=$(( deadline - $(date +%s) ))
  [ "$left" -gt 20 ] || { echo "sweep: no time left for $tag" >&2; continue; }
  # a recording keeps its baselines (the page draws them); other runs skip them
  case " $args " in *" --record "*) baselines= ;; *) baselines=--no-baselines ;; esac
  # shellcheck disable=SC2086
  (cd .gpu && timeout "$left" /tmp/node main.mjs train $args --backend webgpu $baselines \
    --out "$out/runs/$tag") >>"$out/$tag.log" 2>&1 &
done < <(grep -v '^\s*\(#\|$\)' "$plan")
wait
