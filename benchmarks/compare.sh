#!/usr/bin/env bash
# elfz against the compressors a user would pick instead, on BERT-base f32 (real weights from Maven
# Central, as safetensors), in one run: elfz in each mode (elf, lossless, error bound 1e-4 and 1e-6, uniform 8 and
# 4 bits, k-means 4 bits, pruning 50% + elf) with one thread and all cores, zstd -1/-3/-19 (-T1 and -T0), pigz
# (-p1 and all cores), xz -1, zfp -a 1e-4/1e-6 and fpzip (the last two on the bare float32 values), each
# compressed and decompressed as a command, runs interleaved, medians (dev.elfz.bench.Compare). Writes
# benchmarks/results/compare.md, compare.json and compare.png (ratio against compress speed).
#
#   benchmarks/compare.sh [--quick]      (--quick: 1 run; default 3. zstd -19 alone takes minutes a run)
#   benchmarks/compare.sh --redraw       (compare.png again from compare.json, after a change to the chart)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "compare.sh: needs a JDK 25 or newer" >&2; exit 1; }

runs=3
[[ ${1:-} == --quick ]] && runs=1
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
results=$root/benchmarks/results
if [[ ${1:-} == --redraw ]]; then
  build
  exec "$jdk/bin/java" -cp "$root/benchmarks/target/benchmarks.jar" dev.elfz.bench.Compare --redraw "$results/compare"
fi
need zstd=zstd xz=xz-utils pigz=pigz zfp=zfp fpzip=fpzip-utils /usr/bin/time=time

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
mkdir -p "$work/compare" "$results"
elfz=$root/bin/elfz
build
bert=$(bert_file F32)
cat "$bert" >/dev/null # page cache warm

versions() {
  echo "$(zstd --version | head -1); xz $(xz --version | awk 'NR == 1 {print $4}'); pigz $(pigz --version 2>&1 | awk '{print $2}');" \
    "zfp $(dpkg-query -W -f '${Version}' zfp 2>/dev/null); fpzip $(dpkg-query -W -f '${Version}' fpzip-utils 2>/dev/null)"
}
table=$("$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
  dev.elfz.bench.Compare "$elfz" "$bert" "$work/compare" "$runs" "$results/compare")
{
  echo "# elfz against zstd, xz, pigz, zfp and fpzip on BERT-base f32"
  echo
  echo "Made by \`benchmarks/compare.sh$([[ $runs == 1 ]] && echo " --quick")\` on $(date -u +%Y-%m-%d):" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores," \
    "$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1e6}' /proc/meminfo) RAM, Linux $(uname -r)," \
    "$("$jdk/bin/java" -version 2>&1 | head -1); $(versions)."
  echo "Input: BERT-base-uncased as safetensors ($(stat -c %s "$bert") bytes, 204 float32 tensors); zfp and fpzip get its"
  echo "float32 values alone ($(stat -c %s "$work/compare/values.f32") bytes), their ratio is over those. Median of $runs"
  echo "interleaved runs, page cache warm; the wall-clock time of each command as a user runs it (elfz: the JVM's start"
  echo "and the fsync before the rename included; the others do not fsync). MB/s = input bytes / seconds, both ways."
  echo "Max abs error over every float value of the decompressed output (0: the same bytes, checked)."
  echo
  echo "$table"
  echo
  echo "![ratio against compress speed](compare.png)"
} >"$results/compare.md"
cat "$results/compare.md"
