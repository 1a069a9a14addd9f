#!/usr/bin/env bash
# ONNX Runtime straight from an .elfz archive (dev.elfz.eval.OrtArchive): the wall time from all-MiniLM-L6-v2's
# archive to a ready session, decompressed to a file and loaded by path against straight from the archive
# (dev.elfz.bench.OrtOpenTiming, interleaved rounds, medians), for ELF and lossless; then the 2.2 GB check
# (LargeOrtArchiveTest: a generated model over 2 GiB through ONNX Runtime's external initializers, about 1.5 minutes,
# 2.2 GB of data file and its archive written under java.io.tmpdir). Writes benchmarks/results/ort.md.
#
#   benchmarks/ort.sh [ROUNDS]     (default 11)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "ort.sh: needs a JDK 25 or newer" >&2; exit 1; }
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
rounds=${1:-11}
results=$root/benchmarks/results
mkdir -p "$results"
build

model=$(minilm_file)
cp="$root/benchmarks/target/benchmarks.jar:$root/cli/target/lib/*"
timing() {
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" dev.elfz.bench.OrtOpenTiming "$model" "$rounds" "$1"
}
elf=$(timing elf)
lossless=$(timing lossless)
start=$(date +%s)
(cd "$root" && env "JAVA$(jdk_major "$jdk")_HOME=$jdk" mvn -B -q -pl cli -am test -Delfz.large=true \
  -Dtest=LargeOrtArchiveTest -Dsurefire.failIfNoSpecifiedTests=false -Delfz.format.skip=true >/dev/null)
large=$(( $(date +%s) - start ))
{
  echo "# ONNX Runtime from an .elfz archive"
  echo
  echo "Made by \`benchmarks/ort.sh $rounds\` on $(date -u +%Y-%m-%d) ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end): wall time from all-MiniLM-L6-v2's archive"
  echo "to a ready ONNX Runtime 1.23.2 session (default options), every core decoding; rounds interleaved, the first one"
  echo "left out."
  echo
  echo "$elf"
  echo
  echo "$lossless"
  echo
  echo "A generated model of 2.2 GB (two float32 tables of 1.1 GB in external data, each read by a Gather) ran from its"
  echo "archive through ONNX Runtime's external initializers, the gathered rows bit for bit the generated values"
  echo "(\`LargeOrtArchiveTest\`): ${large} s with the Maven build around it."
} >"$results/ort.md"
cat "$results/ort.md"
