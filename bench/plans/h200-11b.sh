#!/usr/bin/env bash
# H200, session 11, second call (issues 11 and 12): run 11 resumed from the checkpoints the first call
# left in .r11/ (the machine still warm; else carry .r11/ back from c11a-ckpt.tgz), while mamba_ssm's CUDA selective scan is built from the authors' csrc
# (.anchor/mambaformer-icl, carried; bench/build_selective_scan.py); then, on a quiet GPU, our step
# (bench/replay-step.ts, paper size: tfjs, replay, replay + two batch threads) and the authors' PyTorch
# modules (bench/pytorch_authors.py: CUDA scan, reference scan / eager) in the same call.
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c11b; mkdir -p "$c"
# cold machine: the runs to resume come carried as .r11x/r11.tar.xz (the tree's 64 MiB limit)
[ -d .r11/runs ] || { [ -f .r11x/r11.tar.xz ] && tar xJf .r11x/r11.tar.xz; }
if [ -d .r11/runs ]; then echo "resuming $(ls .r11/runs | wc -l) runs from .r11"; else echo "no .r11: the runs start afresh"; fi
(nice -n 10 python3 bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild >"$c/scanbuild.txt" 2>&1) &
build=$!
bash bench/sweep.sh bench/plans/run-11b.txt "$PWD/.r11" "${SWEEP_SECONDS:-320}" 4 >"$c/sweep.txt" 2>&1
tar czf "$OUT/c11b-runs.tgz" --exclude='*.safetensors' --exclude='*.tmp' .r11
tar czf "$OUT/c11b-ckpt.tgz" .r11/runs/*/*.safetensors
wait $build
timeout 90 bash .gpu/run.sh .gpu/replay-step.mjs --sizes paper --json "$c/replay-step.json" \
  >"$c/replay-step.md" 2>"$c/replay-step.err"
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv >"$c/gpu-idle.txt" 2>&1
timeout 70 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild --modes cuda \
  --archs mamba,mambaformer --sizes paper --case-timeout 30 --json >"$c/pytorch-cuda.log" 2>&1
timeout 40 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --modes reference \
  --archs transformer --sizes paper --case-timeout 30 --json >"$c/pytorch-eager.log" 2>&1
(cd /tmp && tar czf "$OUT/c11b.tgz" c11b)
ls -la "$OUT"
echo done
