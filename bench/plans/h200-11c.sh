#!/usr/bin/env bash
# H200, session 11, third call (issue 11): run 11c (bench/plans/run-11c.txt), the two runs resumed in the
# second call run again from step 0 (see run-11c.txt), after the fix of mid-run checkpoints
# (model.getWeights, FusedAdam.readState).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c11c; mkdir -p "$c"
# cold machine: the runs to resume come carried as .r11x/r11.tar.xz (the tree's 64 MiB limit)
[ -d .r11/runs ] || { [ -f .r11x/r11.tar.xz ] && tar xJf .r11x/r11.tar.xz; }
if [ -d .r11/runs ]; then echo "resuming $(ls .r11/runs | wc -l) runs from .r11"; else echo "no .r11: the runs start afresh"; fi
bash bench/sweep.sh bench/plans/run-11c.txt "$PWD/.r11" "${SWEEP_SECONDS:-400}" 2 >"$c/sweep.txt" 2>&1
tar czf "$OUT/c11c-runs.tgz" --exclude='*.safetensors' --exclude='*.tmp' .r11
tar czf "$OUT/c11c-ckpt.tgz" .r11/runs/*/*.safetensors
(cd /tmp && tar czf "$OUT/c11c.tgz" c11c)
ls -la "$OUT"
echo done
