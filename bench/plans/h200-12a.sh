#!/usr/bin/env bash
# H200, session 12, first call (issue 11): run 12a (bench/plans/run-12a.txt), seven processes: the
# chain-of-thought recordings at the lesson preset, the chain-of-thought Transformer seeds 1-2 and two
# wider Transformers toward 20000 steps (checkpoints every 250 steps come back for the next call).
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts, the .mjs files xz'd). Run it again in a later call
# with the last call's c12a-ckpt.tar.xz carried as .r12x/r12.tar.xz (in .git/info/exclude): every run,
# the recordings too, goes on from its checkpoint (a cold machine has nothing of the last call).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c12a; mkdir -p "$c" /tmp/rec12
[ -d .r12/runs ] || { [ -f .r12x/r12.tar.xz ] && tar xJf .r12x/r12.tar.xz; }
if [ -d .r12/runs ]; then echo "resuming $(ls .r12/runs | wc -l) runs from .r12"; else echo "no .r12: the runs start afresh"; fi
bash bench/sweep.sh bench/plans/run-12a.txt "$PWD/.r12" "${SWEEP_SECONDS:-520}" 7 >"$c/sweep.txt" 2>&1
cp -r .r12 "$c/r12"
(cd /tmp && tar czf "$OUT/c12a.tgz" --exclude='*.safetensors' --exclude='*.tmp' c12a rec12)
# what --resume reads: checkpoints, losses, evaluations, the recordings so far
tar cJf "$OUT/c12a-ckpt.tar.xz" --exclude='*.tmp' --exclude='*-icl.*' --exclude='*.yaml' .r12/runs
ls -la "$OUT"
echo done
