# Shared by the scan plans (h200-19.sh and on); sourced, not run. Unpacks the bundle and defines
# call NAME SECONDS RUNS ROWS [TUNING ...] (SHAPE=B,L,Di in the environment: the scan at that shape;
# GPU_ARGS: more gpu.ts options, e.g. --gpu-time):
# gpu.ts RUNS times over the scan rows ROWS (prefixes of gpu.ts's row names, '|' between them: the
# names hold commas), then the paper-size Mamba and MambaFormer steps (replayed) with each scanTuning
# JSON; everything in /tmp/NAME, packed into $OUT/NAME.tgz after each run.
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
R="bash .gpu/run.sh"
call() {
  local name=$1 secs=$2 runs=$3 rows=$4 c=/tmp/$1 i tu k
  shift 4
  mkdir -p "$c"
  for i in $(seq "$runs"); do
    OUT=$c timeout "$secs" $R .gpu/gpu.mjs --sections copy,scan --sizes paper --scan-variants "$rows" ${SHAPE:+--scan-shape "$SHAPE"} ${GPU_ARGS:-} >"$c/gpu-$i.log" 2>&1
    (cd /tmp && tar czf "$OUT/$name.tgz" "$name")
  done
  for tu in "$@"; do
    k=$(echo "$tu" | tr -dc 'a-zA-Z0-9' | cut -c1-40)-$(echo "$tu" | md5sum | cut -c1-6)
    timeout 50 $R .gpu/replay-step.mjs --sizes paper --archs mamba,mambaformer --scan-tuning "$tu" \
      --json "$c/replay-$k.json" >"$c/replay-$k.md" 2>"$c/replay-$k.err"
    (cd /tmp && tar czf "$OUT/$name.tgz" "$name")
  done
}
