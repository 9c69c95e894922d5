#!/usr/bin/env bash
# H200, session 10, run 10c: bench/plans/run-10c.txt, four processes, 530 s; one archive back.
set -u
for f in .gpu/*.mjs.xz; do xz -dkf "$f"; done
bash bench/sweep.sh bench/plans/run-10c.txt /tmp/r10c 530 4 >"$OUT/sweep.txt" 2>&1
(cd /tmp && tar czf "$OUT/r10c.tgz" --exclude='*.safetensors' --exclude='*.iclreplay' r10c)
echo done
