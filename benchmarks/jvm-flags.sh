#!/usr/bin/env bash
# JVM options for the commands: the java command bin/elfz ends in (its start-up cache included, its own per-command
# options left out), run with each given set of options in turn, runs interleaved, on BERT-base: decompress -T 1 of
# f32 ELF, f32 lossless and bf16, and compress -T 1 of f32 ELF. Prints, for each set and command, the median wall
# time and the median CPU time (user + system of every thread, /usr/bin/time), which a busy machine inflates far less
# than the wall time. Page cache warm; outputs are not forced to disk. Prints a Markdown table; writes no result file.
#
#   benchmarks/jvm-flags.sh N 'OPTIONS A' 'OPTIONS B' ...      e.g.
#   benchmarks/jvm-flags.sh 5 '' '-XX:TieredStopAtLevel=1' '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData'
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "jvm-flags.sh: needs a JDK 25 or newer" >&2; exit 1; }
if (($# < 2)); then
  echo "usage: benchmarks/jvm-flags.sh N 'OPTIONS A' ['OPTIONS B' ...]" >&2
  exit 2
fi
runs=$1
shift
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need /usr/bin/time=time
work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
mkdir -p "$work"
elfz=$root/bin/elfz
build
bert=$(bert_file F32)
bf16=$(bert_file BF16)
"$elfz" compress -q -f -T 1 --codec elf "$bert" -o "$work/flags-elf.elfz"
"$elfz" compress -q -f -T 1 --codec lossless "$bert" -o "$work/flags-lossless.elfz"
"$elfz" compress -q -f -T 1 "$bf16" -o "$work/flags-bf16.elfz"

# The java command bin/elfz ends in for a command that gets no per-command options (verify), as `bash -x` shows it.
direct=$(bash -x "$elfz" verify --help 2>&1 >/dev/null | sed -n 's/^+ exec //p' | tail -n 1)
direct=${direct% dev.elfz.cli.Main verify --help}
[[ -n $direct ]] || { echo "jvm-flags.sh: could not read bin/elfz's java command" >&2; exit 1; }
java_cmd=()
eval "java_cmd=($direct)" # bash -x quotes it as shell words

names=(d-elf d-lossless d-bf16 c-elf)
labels=("decompress f32 ELF" "decompress f32 lossless" "decompress bf16" "compress f32 ELF")
args=("decompress -q -f -T 1 $work/flags-elf.elfz -o $work/flags.out"
  "decompress -q -f -T 1 $work/flags-lossless.elfz -o $work/flags.out"
  "decompress -q -f -T 1 $work/flags-bf16.elfz -o $work/flags.out"
  "compress -q -f -T 1 --codec elf $bert -o $work/flags.out")
: >"$work/flags.times"
cat "$bert" "$bf16" >/dev/null # page cache warm
for ((r = 1; r <= runs; r++)); do
  for s in "$@"; do
    for i in "${!names[@]}"; do
      # shellcheck disable=SC2086 # the options and arguments are split into words on purpose
      /usr/bin/time -f "%e %U %S" -o "$work/flags.time" "${java_cmd[@]}" $s dev.elfz.cli.Main ${args[$i]} >/dev/null
      echo "$s|${names[$i]}|$(cat "$work/flags.time")" >>"$work/flags.times"
    done
  done
done
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "Median of $runs interleaved runs, $(nproc) cores, load average after: $(cut -d' ' -f1-3 /proc/loadavg);" \
  "wall seconds / CPU seconds (user + system, every thread)."
echo
printf '| options |'
printf ' %s |' "${labels[@]}"
printf '\n|---|'
printf -- '---|%.0s' "${labels[@]}"
echo
for s in "$@"; do
  # shellcheck disable=SC2016 # the backquotes are Markdown's
  printf '| `%s` |' "${s:-(none)}"
  for n in "${names[@]}"; do
    rows=$(awk -F'|' -v s="$s" -v n="$n" '$1 == s && $2 == n {print $3}' "$work/flags.times")
    w=$(awk '{print $1}' <<<"$rows" | median)
    c=$(awk '{print $2 + $3}' <<<"$rows" | median)
    printf ' %.2f / %.2f |' "$w" "$c"
  done
  echo
done
rm -f "$work/flags.out" "$work/flags.time"
