#!/usr/bin/env bash
# H200, session 14, one call: run 14a (bench/plans/run-14a.txt, issue 11: the chain-of-thought recordings
# and the Transformer's seeds 1-2), then on the idle GPU the LayerNorm fold timed (issue 12: the real
# training step replayed, with and without `fold`, Transformer and MambaFormer at paper size).
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/replay-step.ts, the .mjs files xz'd).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
c=/tmp/c14a; mkdir -p "$c" /tmp/rec14
bash bench/sweep.sh bench/plans/run-14a.txt "$c/r14" "${SWEEP_SECONDS:-470}" 5 >"$c/sweep.txt" 2>&1
timeout 95 bash .gpu/run.sh .gpu/replay-step.mjs --sizes paper --archs transformer,mambaformer --without fold \
  --json "$c/replay.json" >"$c/replay.md" 2>"$c/replay.err"
(cd /tmp && tar czf "$OUT/c14a.tgz" --exclude='*.safetensors' --exclude='*.tmp' c14a rec14)
ls -la "$OUT"
echo done
