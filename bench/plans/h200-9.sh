#!/usr/bin/env bash
# H200, session 9 (issue 11), one call: how many training processes should share the GPU? Sessions 7-8
# found ~60-70 steps/s in total with 5-16 processes (chain-of-thought / many outliers, D 64, batch 256),
# however many there were. Probe 1, 2 and 4 processes of one run (chain-of-thought Mamba, a throwaway
# seed), count the steps each makes in a 12 s window after 12 s of start-up, then run PLAN with the
# process count that made the most steps in total.
#   bash bench/plans/h200-9.sh PLAN SECONDS      (in the checkout, .gpu/ from bench/gpu-bundle.sh)
set -u
plan=$1; seconds=$2
start=$(date +%s)
bash .gpu/run.sh .gpu/main.mjs help >/dev/null 2>&1
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
mkdir -p "$OUT/probe" /tmp/probe
last_step() { grep -o 'step [0-9]*/' "$1" 2>/dev/null | tail -1 | tr -dc 0-9; }
best_jobs=1; best_rate=0
for n in 1 2 4; do
  pids=()
  for i in $(seq 1 "$n"); do
    (cd .gpu && exec /tmp/node main.mjs train --task chain-of-thought --models mamba --seed $((90 + i)) \
      --steps 100000 --d-model 64 --layers 6 --batch-size 256 --no-baselines --backend webgpu \
      --out /tmp/probe/p$n-$i) >"$OUT/probe/p$n-$i.txt" 2>&1 &
    pids+=($!)
  done
  sleep 12
  declare -A a=()
  for i in $(seq 1 "$n"); do a[$i]=$(last_step "$OUT/probe/p$n-$i.txt"); done
  sleep 12
  total=0
  for i in $(seq 1 "$n"); do
    b=$(last_step "$OUT/probe/p$n-$i.txt"); total=$(( total + ${b:-0} - ${a[$i]:-0} ))
  done
  kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null
  echo "probe: $n process(es): $total steps in 12 s in total" | tee -a "$OUT/probe/summary.txt"
  if [ "$total" -gt "$best_rate" ]; then best_rate=$total; best_jobs=$n; fi
done
# more processes than the best probe only if 4 won (the trend may go on)
[ "$best_jobs" -eq 4 ] && best_jobs=6
echo "sweep: $best_jobs processes" | tee -a "$OUT/probe/summary.txt"
left=$(( seconds - ($(date +%s) - start) - 25 ))
bash bench/sweep.sh "$plan" /tmp/r9 "$left" "$best_jobs" >"$OUT/sweep.txt" 2>&1
(cd /tmp && tar czf "$OUT/r9.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' r9)
[ -d /tmp/s9/rec ] && (cd /tmp/s9 && tar czf "$OUT/rec.tgz" rec)
echo done
