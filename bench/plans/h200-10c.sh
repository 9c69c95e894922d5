#!/usr/bin/env bash
# H200, session 10, one call: the step with replay and with batches made ahead in a worker thread
# (bench/replay-step.ts, quiet GPU, ~1 min), then run 10c (bench/plans/run-10c.txt, four processes)
# for the rest. Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/replay-step.ts, the .mjs
# files xz'd to fit the carry). One archive back.
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c10c; mkdir -p "$c"
timeout 100 bash .gpu/run.sh .gpu/replay-step.mjs --sizes paper,classroom --json "$c/replay-step.json" \
  >"$c/replay-step.md" 2>"$c/replay-step.err"
bash bench/sweep.sh bench/plans/run-10c.txt /tmp/r10c 430 4 >"$c/sweep.txt" 2>&1
cp -r /tmp/r10c "$c/r10c"
(cd /tmp && tar czf "$OUT/c10c.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' c10c)
echo done
