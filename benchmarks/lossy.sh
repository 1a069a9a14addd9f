#!/usr/bin/env bash
# Quantization and pruning on BERT-base f32 (real weights): every mode's on-disk and formula ratio, the
# errors `elfz verify` measures, the time to compress (-T2, planning included), and the single-thread
# targets (global threshold <= 1 s, 4-bit k-means on every prunable tensor <= 10 s). Writes
# benchmarks/results/lossy.md (and prints it). About 2 minutes here.
#
#   benchmarks/lossy.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "lossy.sh: needs a JDK 25 or newer" >&2; exit 1; }

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
mkdir -p "$work"
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
build
bert=$(bert_file F32)
run() {
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" "$@"
}

{
  echo "# Quantization and pruning on BERT-base f32"
  echo
  echo "Made by \`benchmarks/lossy.sh\` on $(date -u +%Y-%m-%d): $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(nproc) cores, $("$jdk/bin/java" -version 2>&1 | head -1)."
  echo "Selected tensors: float, rank >= 2, >= 4096 values (76 of BERT's 204; the rest stay ELF). Errors over"
  echo "every float tensor, as \`elfz verify\` measures them (every run passes its bounds). Ratio: on disk;"
  echo "formula: the codec's ideal size formula. Time: \`Elfz.compress\` with 2 threads, planning included."
  echo
  echo "| mode | ratio | formula ratio | max abs error | RMSE | seconds |"
  echo "|---|---|---|---|---|---|"
  run dev.elfz.bench.LossyReport "$bert" "$work"
  echo
  echo "Single thread (\`dev.elfz.bench.LossyTimings\`, best of 3 after a warm-up):"
  echo
  echo "| step | time | target |"
  echo "|---|---|---|"
  run dev.elfz.bench.LossyTimings "$bert" 3
} >"$work/lossy.md"
mkdir -p "$root/benchmarks/results"
cp "$work/lossy.md" "$root/benchmarks/results/lossy.md"
cat "$work/lossy.md"
