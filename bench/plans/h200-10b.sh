#!/usr/bin/env bash
# H200, session 10, one call (issues 12 and 11): the training step with and without step replay
# (bench/replay-step.ts: paper size and the lesson preset, through the Trainer, on a quiet GPU), then
# run 10a's many-outlier sweep (bench/plans/run-10a.txt, four processes, replay on) for the rest of
# the call. Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/replay-step.ts; the .mjs files
# xz'd to fit the carry). Everything comes back in one archive.
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c10; mkdir -p "$c"
timeout 150 bash .gpu/run.sh .gpu/replay-step.mjs --sizes paper,classroom --json "$c/replay-step.json" \
  >"$c/replay-step.md" 2>"$c/replay-step.err"
bash bench/sweep.sh bench/plans/run-10a.txt /tmp/r10a "${SWEEP_SECONDS:-370}" 4 >"$c/sweep.txt" 2>&1
cp -r /tmp/r10a "$c/r10a"
(cd /tmp && tar czf "$OUT/c10.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' c10)
echo done
