#!/usr/bin/env bash
# H200, session 11, first call (issue 11): run 11 (bench/plans/run-11.txt: the partial Table 1 cells to
# 20000 steps, four processes, a checkpoint every 250 steps). Needs .gpu/ (bench/gpu-bundle.sh
# src/cli/main.ts bench/replay-step.ts, the .mjs files xz'd). The runs come back whole, checkpoints
# in .r11/ (ignored by git): a call made at once after this one finds the machine warm and the folder
# still there (h200-11b.sh resumes them); the checkpoints also come back in c11a-ckpt.tgz.
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c11a; mkdir -p "$c"
bash bench/sweep.sh bench/plans/run-11.txt "$PWD/.r11" "${SWEEP_SECONDS:-530}" 4 >"$c/sweep.txt" 2>&1
cp -r .r11 "$c/r11"
(cd /tmp && tar czf "$OUT/c11a.tgz" --exclude='*.safetensors' --exclude='*.tmp' c11a)
tar czf "$OUT/c11a-ckpt.tgz" .r11/runs/*/*.safetensors
ls -la "$OUT"
echo done
