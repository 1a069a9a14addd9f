#!/usr/bin/env bash
# elfz on a huge checkpoint: a bfloat16 model directory of GB gigabytes (default 16) in shards of 4 GB, made from
# BERT-base's real values (benchmarks/src/.../HugeModel: tiled, every copy perturbed so that no chunk repeats),
# compressed and decompressed with every core, each under /usr/bin/time (wall time, peak resident memory), then
# `elfz verify` and cmp of every shard. BERT-base itself (f32 and bf16) is timed the same way in the same run, as the
# figure to hold. Nothing is kept: the directory, archive and round trip are deleted as the run goes. Needs about
# 2.7 x GB of free disk under DIR (input, archive, round trip); refuses to start otherwise.
#
#   benchmarks/huge.sh [GB [DIR]]        (DIR: default benchmarks/target/huge; results in benchmarks/results/huge.md)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "huge.sh: needs a JDK 25 or newer" >&2; exit 1; }
gb=${1:-16}
work=${2:-$root/benchmarks/target/huge}
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need /usr/bin/time=time
mkdir -p "$work"
total=$((gb * 1000000000))
need_kb=$((total * 27 / 10 / 1024))
avail_kb=$(df -k --output=avail "$work" | tail -1)
if ((avail_kb < need_kb)); then
  echo "huge.sh: $work has $((avail_kb / 1048576)) GiB free, $gb GB needs about $((need_kb / 1048576)) GiB" >&2
  exit 1
fi
elfz=$root/bin/elfz
threads=$(nproc)
[[ ${ELFZ_NO_BUILD:-} == 1 ]] || build
bert=$(bert_file F32)
bf16=$(bert_file BF16)
model=$work/model
trap 'rm -rf "$model" "$work/model.elfz" "$work/back" "$work"/bert*.elfz "$work"/bert*.out' EXIT

# measure NAME CMD...: appends "NAME seconds maxrss_kb" to $work/times
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" >/dev/null
  echo "$name $(cat "$work/time.out")" >>"$work/times"
}
: >"$work/times"
for f in "$bert" "$bf16"; do # the figure to hold: BERT itself, page cache warm, median of 3
  cat "$f" >/dev/null
  n=$(basename "$f" .safetensors)
  for r in 1 2 3; do
    measure "$n-c" "$elfz" compress -q -f -T "$threads" "$f" -o "$work/$n.elfz"
    measure "$n-d" "$elfz" decompress -q -f -T "$threads" "$work/$n.elfz" -o "$work/$n.out"
  done
  rm -f "$work/$n.elfz" "$work/$n.out"
done

echo "huge.sh: making $gb GB of shards under $model" >&2
rm -rf "$model" "$work/model.elfz" "$work/back"
"$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
  dev.elfz.bench.HugeModel "$bf16" "$model" "$total" 4000000000
echo '{"model_type": "bert", "tiled_from": "bert-base-uncased"}' >"$model/config.json"
in_bytes=$(du -sb "$model" | cut -f1)
sync
echo "huge.sh: compress" >&2
measure huge-c "$elfz" compress -q -T "$threads" "$model" -o "$work/model.elfz"
out_bytes=$(stat -c %s "$work/model.elfz")
echo "huge.sh: verify" >&2
measure huge-v "$elfz" verify -q -T "$threads" "$model" "$work/model.elfz"
echo "huge.sh: decompress" >&2
measure huge-d "$elfz" decompress -q -T "$threads" "$work/model.elfz" -o "$work/back"
for f in "$model"/*; do
  cmp -s "$f" "$work/back/$(basename "$f")" || { echo "huge.sh: $(basename "$f") differs after the round trip" >&2; exit 1; }
  rm -f "$f" "$work/back/$(basename "$f")"
done

# median NAME -> "seconds rss_kb"
median() {
  awk -v n="$1" '$1 == n {print $2, $3}' "$work/times" | sort -g | awk '{s[NR] = $1; m[NR] = $2} END {print s[int((NR + 1) / 2)], m[int((NR + 1) / 2)]}'
}
row() { # LABEL NAME BYTES
  local s m
  read -r s m <<<"$(median "$2")"
  awk -v l="$1" -v b="$3" -v s="$s" -v m="$m" 'BEGIN {printf "| %s | %.0f | %.1f | %.0f |\n", l, b / 1e6 / s, s, m / 1024}'
}
bert_size=$(stat -c %s "$bert")
bf16_size=$(stat -c %s "$bf16")
mkdir -p "$root/benchmarks/results"
{
  echo "# elfz on a $gb GB bfloat16 checkpoint"
  echo
  echo "Made by \`benchmarks/huge.sh $gb\` on $(date -u +%Y-%m-%d): $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$threads cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end. Every command with \`-T $threads\`," \
    "wall time and peak RSS from /usr/bin/time; BERT-base: median of 3, page cache warm; the $gb GB directory: one run."
  echo "The directory: $((in_bytes / 1000000)) MB in $(((total + 3999999999) / 4000000000)) shards of BERT-base's bf16" \
    "values tiled (each copy perturbed), archive $((out_bytes / 1000000)) MB (ratio $(awk -v a="$in_bytes" -v b="$out_bytes" 'BEGIN {printf "%.3f", a / b}'));" \
    "\`elfz verify\` passed and every shard came back byte for byte (cmp)."
  echo
  echo "| step | MB/s | seconds | peak RSS MB |"
  echo "|---|---|---|---|"
  row "BERT-base f32 ($((bert_size / 1000000)) MB) compress" bert-c "$bert_size"
  row "BERT-base f32 decompress" bert-d "$bert_size"
  row "BERT-base bf16 ($((bf16_size / 1000000)) MB) compress" bert-bf16-c "$bf16_size"
  row "BERT-base bf16 decompress" bert-bf16-d "$bf16_size"
  row "$gb GB bf16 directory compress" huge-c "$in_bytes"
  row "$gb GB bf16 directory verify" huge-v "$in_bytes"
  row "$gb GB bf16 directory decompress" huge-d "$in_bytes"
} >"$root/benchmarks/results/huge.md"
cat "$root/benchmarks/results/huge.md"
