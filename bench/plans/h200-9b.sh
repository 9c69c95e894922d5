#!/usr/bin/env bash
# H200, session 9, run 9b: bench/plans/run-9b.txt, seven processes, 545 s. Everything comes back in two
# files (the device returns at most ~8): the sweep's runs and logs, and its summary line.
set -u
bash bench/sweep.sh bench/plans/run-9b.txt /tmp/r9b 545 7 >"$OUT/sweep.txt" 2>&1
(cd /tmp && tar czf "$OUT/r9b.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' r9b)
echo done
