#!/usr/bin/env bash
# elfz on a directory of many small files: compresses N files (default 300000) of B bytes each (default 0, which
# compress can take beyond vm.max_map_count, as it maps every non-empty input), then decompresses the archive,
# each under /usr/bin/time -v (wall time, peak resident memory). Works under DIR (default /dev/shm, where fsync
# costs nothing, so that the figures are elfz's own per-file cost; give a disk directory to include the fsyncs).
#
#   benchmarks/many-files.sh [N [B [DIR]]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-300000}
bytes=${2:-0}
base=${3:-/dev/shm}
command -v /usr/bin/time >/dev/null || { echo "many-files.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
"$root/bin/elfz" --version >/dev/null # builds, and makes the start-up cache, outside the timings
work=$(mktemp -d "$base/elfz-many.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 - "$work/in" "$n" "$bytes" <<'PY'
import os, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "d%d" % (i % 100))
    if i < 100:
        os.makedirs(d)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(bytes((i + k) % 251 for k in range(size)))
PY
measure() { # label, command...
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@"
  read -r secs kb <"$work/time"
  printf '%-11s %8s s %8s MB peak RSS\n' "$label" "$secs" "$((kb / 1024))"
}
echo "$n files of $bytes bytes under $base ($(nproc) cores):"
measure compress "$root/bin/elfz" compress -q "$work/in" -o "$work/in.elfz"
echo "archive     $(stat -c %s "$work/in.elfz") bytes"
measure decompress "$root/bin/elfz" decompress -q "$work/in.elfz" -o "$work/out"
[[ $(find "$work/out" -type f | wc -l) == "$n" ]] || { echo "many-files.sh: not every file came back" >&2; exit 1; }
