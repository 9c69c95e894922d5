#!/usr/bin/env bash
# H200, session 16 (issue 12: the scan kernel's bandwidth); the device keeps nothing between calls.
#   bash bench/plans/h200-16.sh staged   one call: the row-staged forward's layouts beside the lanes,
#       chunked and block-parallel programs (gpu.ts copy,scan), then the paper-size Mamba and
#       MambaFormer steps with the default forward and with the staged one (replay-step).
#   bash bench/plans/h200-16.sh unroll   one call: the staged forward with more lanes a channel, wider
#       workgroups and steps written out (gpu.ts copy,scan), then the steps with it (replay-step).
#   bash bench/plans/h200-16.sh prepass  one call: the staged forward with Δ and the gate computed once
#       per (channel, step) before a tile's steps, more lanes a channel (gpu.ts), then the steps.
#   bash bench/plans/h200-16.sh final    one call: the staged forward's layouts again with and without the
#       prepass (the prepass call's sweep left it out), the row-staged backward beside the block-parallel
#       and channel-parallel ones, then the steps with each.
# Needs .gpu/ (bench/gpu-bundle.sh src/cli/main.ts bench/replay-step.ts bench/gpu.ts, the .mjs files
# xz'd; see bench/README.md). The files that come back: $OUT/*.tgz (each under 16 MiB).
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
R="bash .gpu/run.sh"
case "${1:-}" in
staged)
  c=/tmp/c16s; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c16s.tgz" c16s); }
  OUT=$c timeout 200 $R .gpu/gpu.mjs --sections copy,scan --sizes paper \
    --scan-variants "staged,lanes (subgroups), 128 invocations per workgroup, at most 16,chunked 32,channels, 64,blocks, 32 ch x 8" \
    >"$c/gpu.log" 2>&1
  pack
  for fw in auto staged; do
    timeout 100 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --scan-tuning "{\"forwardMode\":\"$fw\"}" \
      --json "$c/replay-$fw.json" >"$c/replay-$fw.md" 2>"$c/replay-$fw.err"
    pack
  done
  ;;
unroll)
  c=/tmp/c16u; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c16u.tgz" c16u); }
  OUT=$c timeout 200 $R .gpu/gpu.mjs --sections copy,scan --sizes paper \
    --scan-variants "staged,lanes (subgroups), 128 invocations per workgroup, at most 16,channels, 64" \
    >"$c/gpu.log" 2>&1
  pack
  for fw in '{"forwardMode":"auto"}' '{"forwardMode":"staged","stagedLanes":2}' \
    '{"forwardMode":"staged","stagedLanes":2,"stagedUnroll":8}'; do
    k=$(echo "$fw" | tr -dc 'a-zA-Z0-9')
    timeout 60 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --scan-tuning "$fw" \
      --json "$c/replay-$k.json" >"$c/replay-$k.md" 2>"$c/replay-$k.err"
    pack
  done
  ;;
prepass)
  c=/tmp/c16p; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c16p.tgz" c16p); }
  OUT=$c timeout 200 $R .gpu/gpu.mjs --sections copy,scan --sizes paper \
    --scan-variants "staged,lanes (subgroups), 128 invocations per workgroup, at most 8 lanes a channel (" \
    >"$c/gpu.log" 2>&1
  pack
  for fw in '{"forwardMode":"auto"}' '{"forwardMode":"staged","stagedLanes":2,"stagedUnroll":16}' \
    '{"forwardMode":"staged","stagedLanes":4,"stagedUnroll":16,"stagedPrepass":true}' \
    '{"forwardMode":"staged","stagedLanes":2,"stagedUnroll":16,"stagedPrepass":true}'; do
    k=$(echo "$fw" | tr -dc 'a-zA-Z0-9')
    timeout 60 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --scan-tuning "$fw" \
      --json "$c/replay-$k.json" >"$c/replay-$k.md" 2>"$c/replay-$k.err"
    pack
  done
  ;;
final)
  c=/tmp/c16f; mkdir -p "$c"
  pack() { (cd /tmp && tar czf "$OUT/c16f.tgz" c16f); }
  OUT=$c timeout 240 $R .gpu/gpu.mjs --sections copy,scan --sizes paper \
    --scan-variants "staged,lanes (subgroups), 128 invocations per workgroup, at most 16 lanes a channel (,chunked 32,blocks, 32 ch x 8 segments x 4 steps:,blocks, 64 ch x 4 segments x 4 steps:,channels, 64" \
    >"$c/gpu.log" 2>&1
  pack
  for fw in '{"forwardMode":"auto"}' '{"forwardMode":"auto","staged":false}' \
    '{"forwardMode":"staged","stagedLanes":2,"stagedUnroll":8,"stagedPrepass":true}' \
    '{"backwardMode":"staged"}' '{"backwardMode":"staged","stagedBackwardChannels":32}'; do
    k=$(echo "$fw" | tr -dc 'a-zA-Z0-9')
    timeout 50 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --scan-tuning "$fw" \
      --json "$c/replay-$k.json" >"$c/replay-$k.md" 2>"$c/replay-$k.err"
    pack
  done
  ;;

*)
  echo "usage: bash bench/plans/h200-16.sh staged|unroll|prepass|final" >&2
  exit 2
  ;;
esac
