#!/usr/bin/env bash
# The device tool carries the repository's tracked (and untracked, not ignored) files with .gpu/ and
# refuses more than 64 MiB on disk. The benchmark logs and the screenshots are not needed there:
#   bash bench/device-tree.sh slim      before a device call: both folders out of the index and ignored
#   bash bench/device-tree.sh restore   after it: both back in the index as they were committed
# The files stay on disk throughout; nothing is committed.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
folders=(bench/results docs/screenshots)
exclude=.git/info/exclude
case "${1:-}" in
slim)
  git rm -r -q --cached "${folders[@]}"
  for f in "${folders[@]}"; do grep -qxF "$f/" "$exclude" || echo "$f/" >>"$exclude"; done
  echo "device-tree: $(git ls-files -z | xargs -0 du -c | tail -1 | cut -f1) KiB tracked, plus .gpu/ $(du -s .gpu 2>/dev/null | cut -f1) KiB"
  ;;
restore)
  git reset -q -- "${folders[@]}"
  for f in "${folders[@]}"; do sed -i "\\#^$f/\$#d" "$exclude"; done
  git status --short -- "${folders[@]}" | head -3
  ;;
*)
  echo "usage: bash bench/device-tree.sh slim|restore" >&2
  exit 2
  ;;
esac
