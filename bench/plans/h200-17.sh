#!/usr/bin/env bash
# H200, sessions 17-18 (issue 12: the scan kernel's bandwidth); the device keeps nothing between calls.
# Ran in session 18 (2026-12-05, calls 18a-c): the results are in bench/RESULTS.md; the new programs lost.
#   bash bench/plans/h200-17.sh scan    one call (~8 min):
#     1. mamba_ssm's CUDA selective scan builds on the CPUs (bench/build_selective_scan.py) while
#        gpu.ts times the copy bandwidth and the scan rows that matter now: the staged forward's lean
#        step (one basic block per written-out turn) and its chunks of L walked side by side ('staged
#        chunked', session 18: K times the warps) beside today's 'auto' forward, the staged backward
#        with subgroup sums (plain, and with the states permuted by lane so the reduce-scatter's low
#        levels need no selects: 'aligned', session 18) beside its workgroup-memory sums and the
#        block-parallel 'auto' backward, and with a channel's states over 2 lanes ('2-lane',
#        stagedBackwardLanes 2, session 18: twice the warps);
#     2. the CUDA scan alone at the same size (bench/pytorch_scan_kernel.py): the anchor for what a
#        hand-written CUDA scan reaches of the copy bandwidth here;
#     3. the paper-size Mamba and MambaFormer steps (replay-step) with the first 5 tunings below.
#   bash bench/plans/h200-17.sh again   one call: the same gpu.ts rows and three of the steps again (single rows can be
#     2x off between calls: only rows repeated across calls are quoted), without the build, then the
#     'auto' and new scan rows with Dawn's bounds checks off (--dawn ...disable_robustness): what the
#     checks every WGSL array access gets cost these kernels (a diagnostic: a page cannot turn them off).
# Then, here: npx tsx bench/scan-rows.ts <scan call>/gpu.log <again call>/gpu.log: the rows that repeat.
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/replay-step.ts bench/gpu.ts, the .mjs files
# xz'd; see bench/README.md) and, for `scan`, .anchor/mambaformer-icl (the authors' checkout). The
# files that come back: $OUT/*.tgz (each under 16 MiB).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
R="bash .gpu/run.sh"
# prefixes of gpu.ts's row names, '|' between them (the names hold commas)
ROWS="staged lean|staged chunked|staged aligned|staged 2-lane|staged, 64 ch x 1 lanes, T 16, 4 steps written out (|lanes (subgroups), 128 invocations per workgroup, at most 16 lanes a channel|staged subgroup|staged, 64 ch, T 16|staged, 32 ch, T 16|blocks, 64 ch x 4 segments x 4 steps:|blocks, 32 ch x 8 segments x 4 steps:"
# in order of what they decide: 'auto'; the new forward and backward together; each new program alone
TUNINGS=('{"forwardMode":"auto"}'
  '{"stagedLean":true,"backwardMode":"staged","stagedBackwardSums":"aligned","stagedBackwardChannels":32}'
  '{"stagedLean":true,"stagedChunks":4,"stagedChannels":32,"stagedSteps":8}'
  '{"backwardMode":"staged","stagedBackwardSums":"subgroup","stagedBackwardLanes":2,"stagedBackwardChannels":16}'
  '{"backwardMode":"staged","stagedBackwardSums":"aligned","stagedBackwardChannels":32}'
  '{"stagedLean":true}' '{"stagedLean":true,"stagedUnroll":8}')
# steps DIR PACK [N]: the first N tunings (default all)
steps() {
  for tu in "${TUNINGS[@]:0:${3:-${#TUNINGS[@]}}}"; do
    k=$(echo "$tu" | tr -dc 'a-zA-Z0-9' | cut -c1-60)
    timeout 50 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --scan-tuning "$tu" \
      --json "$1/replay-$k.json" >"$1/replay-$k.md" 2>"$1/replay-$k.err"
    "$2"
  done
}
case "${1:-}" in
scan)
  c=/tmp/c17s; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c17s.tgz" c17s); }
  if [ -d .anchor/mambaformer-icl ]; then
    (nice -n 10 timeout 240 python3 bench/build_selective_scan.py .anchor/mambaformer-icl .scanbuild >"$c/scan-build.log" 2>&1) &
  fi
  OUT=$c timeout 220 $R .gpu/gpu.mjs --sections copy,scan --sizes paper --scan-variants "$ROWS" >"$c/gpu.log" 2>&1
  pack
  wait
  if [ -d .anchor/mambaformer-icl ]; then
    timeout 60 python3 bench/pytorch_scan_kernel.py .anchor/mambaformer-icl --scan-build .scanbuild --json \
      >"$c/scan-kernel.log" 2>&1
  fi
  pack
  steps "$c" pack 5
  ;;
again)
  c=/tmp/c17a; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c17a.tgz" c17a); }
  OUT=$c timeout 220 $R .gpu/gpu.mjs --sections copy,scan --sizes paper --scan-variants "$ROWS" >"$c/gpu.log" 2>&1
  pack
  steps "$c" pack 3
  mkdir -p "$c/unchecked"
  OUT=$c/unchecked timeout 120 $R .gpu/gpu.mjs --sections copy,scan --sizes paper \
    --dawn "enable-dawn-features=allow_unsafe_apis,disable_robustness" \
    --scan-variants "staged, 64 ch x 1 lanes, T 16, 4 steps written out (|staged lean, 64 ch x 1 lanes, T 16, 4|staged chunked (4 chunks) lean, 32 ch|staged subgroup|staged aligned|staged 2-lane|blocks, 64 ch x 4 segments x 4 steps:" \
    >"$c/unchecked/gpu.log" 2>&1
  pack
  ;;
*)
  echo "usage: bash bench/plans/h200-17.sh scan|again" >&2
  exit 2
  ;;
esac
