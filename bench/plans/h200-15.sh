#!/usr/bin/env bash
# H200, next session, two calls (issue 12 then issue 11); the device keeps nothing between calls.
#   bash bench/plans/h200-15.sh timing   one call, on a quiet GPU: the real training step at paper size
#       with each kernel cut turned off in turn (`fold`, `conv`, `readout`, `defer`, `blocks`: keep a cut
#       only if its row is slower), dispatches per step and the scan's bandwidth (gpu.ts counts, copy, scan), then
#       mamba_ssm's CUDA selective scan built from the authors' csrc (beside gpu.ts's kernel timings) and the authors' modules timed with
#       the reference scan, torch.compile and the CUDA scan: every anchor in the same call as ours.
#   bash bench/plans/h200-15.sh anchors  one call (after `timing`): the block-parallel forward's state
#       groups timed (gpu.ts copy,scan), the CUDA scan built meanwhile, then on a quiet machine our
#       step (replay-step, paper size) and the authors' modules with the reference and the CUDA scan
#       (torch.compile left out: it did not finish Mamba in 40 s in the `timing` call).
#   bash bench/plans/h200-15.sh stage    one call (after `anchors`): the block-parallel programs with each
#       chunk's x_dbl rows staged in workgroup memory (gpu.ts copy,scan), then the step with and
#       without the block-parallel backward (replay-step, Mamba and MambaFormer).
#   bash bench/plans/h200-15.sh lanes    one call (after `stage`): the lane-parallel forward (subgroups)
#       beside the others (gpu.ts copy,scan), then the steps with and without it (replay-step).
#   bash bench/plans/h200-15.sh diag     one call (after `lanes`): the scan section again with the
#       lane-parallel forward's timing diagnostics (each drops one part of its work).
#   bash bench/plans/h200-15.sh sweep    one call: run 15a (bench/plans/run-15a.txt), many-outlier
#       regression's Transformer toward 20000 steps, three seeds.
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/replay-step.ts bench/gpu.ts, the .mjs files
# xz'd; see bench/README.md) and, for `timing`, .anchor/mambaformer-icl (the authors' checkout). The
# files that come back: $OUT/*.tgz (keep each under 16 MiB).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
R="bash .gpu/run.sh"
case "${1:-}" in
timing)
  c=/tmp/c15t; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c15t.tgz" c15t); }
  timeout 170 $R .gpu/replay-step.mjs --sizes paper --without fold,conv,readout,defer,blocks --json "$c/replay.json" \
    >"$c/replay.md" 2>"$c/replay.err"
  pack
  # the CUDA scan builds (CPU only) while gpu.ts times single kernels on the GPU
  if [ -d .anchor/mambaformer-icl ]; then
    (nice -n 10 timeout 230 python3 bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild >"$c/scan-build.log" 2>&1) &
  fi
  OUT=$c timeout 150 $R .gpu/gpu.mjs --sections copy,scan,counts --sizes paper --counts-batch 64 >"$c/gpu.log" 2>&1
  pack
  wait
  if [ -d .anchor/mambaformer-icl ]; then
    timeout 140 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild \
      --modes reference,compile,cuda --sizes paper --case-timeout 40 --json >"$c/pytorch.log" 2>&1
  fi
  pack
  ;;
anchors)
  c=/tmp/c15n; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c15n.tgz" c15n); }
  if [ -d .anchor/mambaformer-icl ]; then
    (nice -n 10 timeout 230 python3 bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild >"$c/scan-build.log" 2>&1) &
  fi
  OUT=$c timeout 150 $R .gpu/gpu.mjs --sections copy,scan --sizes paper >"$c/gpu.log" 2>&1
  pack
  wait
  timeout 100 $R .gpu/replay-step.mjs --sizes paper --json "$c/replay.json" >"$c/replay.md" 2>"$c/replay.err"
  pack
  if [ -d .anchor/mambaformer-icl ]; then
    timeout 150 python3 bench/pytorch_authors.py .anchor/mambaformer-icl --scan-build .scanbuild \
      --modes cuda,reference --sizes paper --case-timeout 40 --json >"$c/pytorch.log" 2>&1
  fi
  pack
  ;;
stage)
  c=/tmp/c15s; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c15s.tgz" c15s); }
  OUT=$c timeout 200 $R .gpu/gpu.mjs --sections copy,scan --sizes paper >"$c/gpu.log" 2>&1
  pack
  timeout 150 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --without blocks \
    --json "$c/replay.json" >"$c/replay.md" 2>"$c/replay.err"
  pack
  ;;
lanes)
  c=/tmp/c15l; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c15l.tgz" c15l); }
  OUT=$c timeout 200 $R .gpu/gpu.mjs --sections copy,scan --sizes paper >"$c/gpu.log" 2>&1
  pack
  timeout 150 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --without lanes \
    --json "$c/replay.json" >"$c/replay.md" 2>"$c/replay.err"
  pack
  ;;
diag)
  c=/tmp/c15g; mkdir -p "$c"
  OUT=$c timeout 200 $R .gpu/gpu.mjs --sections copy,scan --sizes paper >"$c/gpu.log" 2>&1
  (cd /tmp && tar czf "$OUT/c15g.tgz" c15g)
  ;;
sweep)
  c=/tmp/c15a; mkdir -p "$c"
  bash bench/sweep.sh bench/plans/run-15a.txt "$c/r15" "${SWEEP_SECONDS:-540}" 3 >"$c/sweep.txt" 2>&1
  (cd /tmp && tar czf "$OUT/c15a.tgz" --exclude='*.safetensors' --exclude='*.tmp' c15a)
  ;;
*) echo "usage: bash bench/plans/h200-15.sh timing|anchors|stage|lanes|diag|sweep" >&2; exit 2 ;;
esac
ls -la "$OUT"
echo done
