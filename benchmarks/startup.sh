#!/usr/bin/env bash
# Start-up: wall time of the whole process, median of N runs (default 11), and its CPU time (user + system of every
# thread: the JIT's threads show here even where an idle core hides them from the wall clock, and a busy machine
# inflates it far less than the wall time), for `bin/elfz --version`, `bin/elfz info SMALL.elfz` and
# `bin/elfz --help`, the same java command bin/elfz ends in (without the launcher's shell), the JVM alone on the same
# class path, and `java -version` of the same JDK, runs interleaved in the same run. Every command's stdout and
# stderr are checked for WARN lines (the JDK's incubator or native-access warnings, logging): any fails the script.
# Writes benchmarks/results/startup.md (and prints it). ELFZ=DIR/bin/elfz times an unpacked distribution's launcher
# instead (its own runtime; java -version stays the build's JDK) into benchmarks/results/startup-dist.md.
#
#   benchmarks/startup.sh [N]
#   ELFZ=/path/to/elfz-VERSION-linux-x86_64/bin/elfz benchmarks/startup.sh [N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "startup.sh: needs a JDK 25 or newer" >&2; exit 1; }
runs=${1:-11}
elfz=${ELFZ:-$root/bin/elfz}
result=$root/benchmarks/results/startup${ELFZ:+-dist}.md
"$elfz" --version >/dev/null # builds, and makes the start-up cache, outside the timings
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A small archive: one 64x64 float32 tensor.
python3 - "$work/small.safetensors" <<'PY'
import json, struct, sys
data = b"".join(struct.pack("<f", (i % 97) * 0.01) for i in range(64 * 64))
header = json.dumps({"w": {"dtype": "F32", "shape": [64, 64], "data_offsets": [0, len(data)]}}).encode()
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + data)
PY
"$elfz" compress -q "$work/small.safetensors" -o "$work/small.elfz"

# The java command bin/elfz ends in, as `bash -x` shows it (the launcher's own shell work left out).
direct=$(bash -x "$elfz" --version 2>&1 >/dev/null | sed -n 's/^+ exec //p' | tail -n 1)
[[ -n $direct ]] || { echo "startup.sh: could not read bin/elfz's java command" >&2; exit 1; }
eval "direct_cmd=(${direct% --version})" # bash -x quotes it as shell words
cp=$(printf '%s\n' "${direct_cmd[@]}" | sed -n '/^-cp$/{n;p}')

labels=("java -version" "java -cp (elfz's class path) -version" "java ... Main --version (no launcher)"
  "elfz --version" "elfz info small.elfz" "elfz --help")
commands=("$jdk/bin/java -version"
  "$jdk/bin/java -cp $cp -version"
  "${direct_cmd[*]} --version"
  "$elfz --version"
  "$elfz info $work/small.elfz"
  "$elfz --help")

now() { date +%s%N; }
# cpu_ms: CPU time of this shell's finished children so far, in ms. bash's own `times`, run in this shell (a
# subshell would count its own children only) into a file; its second line is the children's user and system time.
children_cpu_ms() {
  local t
  times >"$work/times"
  cpu_ms=0
  for t in $(tail -n 1 "$work/times"); do
    [[ $t =~ ^([0-9]+)m([0-9]+)\.([0-9]+)s$ ]] &&
      cpu_ms=$((cpu_ms + BASH_REMATCH[1] * 60000 + 10#${BASH_REMATCH[2]} * 1000 + 10#${BASH_REMATCH[3]}))
  done
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
warned=()
for ((r = 0; r < runs; r++)); do
  for i in "${!commands[@]}"; do
    children_cpu_ms
    cpu=$cpu_ms
    start=$(now)
    # shellcheck disable=SC2086 # each command is split into words on purpose
    ${commands[$i]} >"$work/out" 2>"$work/err"
    echo $(($(now) - start)) >>"$work/t$i"
    children_cpu_ms
    echo $((cpu_ms - cpu)) >>"$work/c$i"
    if ((i >= 2)) && grep -qi 'warn' "$work/out" "$work/err"; then
      warned+=("${labels[$i]}: $(grep -hi warn "$work/out" "$work/err" | head -n 1)")
    fi
  done
done

base=$(median <"$work/t0")
{
  echo "# Start-up (benchmarks/startup.sh)"
  echo
  echo "Wall time of the whole process, median of $runs runs, interleaved; $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg);"
  echo "$("$jdk/bin/java" -version 2>&1 | sed -n 2p)."
  [[ -n ${ELFZ:-} ]] && echo "elfz: the distribution's launcher, $(basename "$(dirname "$(dirname "$ELFZ")")")."
  echo
  echo "| command | median ms | x java -version | median CPU ms | CPU x java -version |"
  echo "|---|---|---|---|---|"
  cpu_base=$(median <"$work/c0")
  for i in "${!commands[@]}"; do
    m=$(median <"$work/t$i")
    c=$(median <"$work/c$i")
    printf '| %s | %.0f | %.2f | %d | %.2f |\n' "${labels[$i]}" "$(echo "$m / 1000000" | bc -l)" \
      "$(echo "$m / $base" | bc -l)" "$c" "$(echo "$c / $cpu_base" | bc -l)"
  done
  echo
  if ((${#warned[@]} == 0)); then
    echo "No command printed a WARN line."
  else
    echo "WARN lines:"
    printf -- '- %s\n' "${warned[@]}" | sort -u
  fi
} | tee "$result"
((${#warned[@]} == 0))
