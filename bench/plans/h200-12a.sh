#!/usr/bin/env bash
# H200, session 12, first call (issue 11): run 12a (bench/plans/run-12a.txt), seven processes: the
# chain-of-thought recordings at the lesson preset, the chain-of-thought Transformer seeds 1-2 and two
# wider Transformers toward 20000 steps (checkpoints every 250 steps come back for the next call).
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts, the .mjs files xz'd).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c12a; mkdir -p "$c" /tmp/rec12
bash bench/sweep.sh bench/plans/run-12a.txt "$PWD/.r12" "${SWEEP_SECONDS:-520}" 7 >"$c/sweep.txt" 2>&1
cp -r .r12 "$c/r12"
(cd /tmp && tar czf "$OUT/c12a.tgz" --exclude='*.safetensors' --exclude='*.tmp' c12a rec12)
tar cJf "$OUT/c12a-ckpt.tar.xz" .r12/runs/*/*.safetensors .r12/runs/*/*.csv .r12/runs/*/*.json 2>/dev/null
ls -la "$OUT"
echo done
