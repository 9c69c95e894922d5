#!/usr/bin/env bash
# H200, session 10, run 10a: bench/plans/run-10a.txt, four processes, 540 s; everything comes back in
# two files (the device returns at most ~8).
set -u
bash bench/sweep.sh bench/plans/run-10a.txt /tmp/r10a 540 4 >"$OUT/sweep.txt" 2>&1
(cd /tmp && tar czf "$OUT/r10a.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' r10a)
echo done
