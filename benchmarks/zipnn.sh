#!/usr/bin/env bash
# elfz against ZipNN on the same bytes, in process, both ways: BERT-base as float32 and as bfloat16, lossless.
# ZipNN is a peer, not a dependency: point this script at a build of its public sources made outside this
# repository (zipnn/zipnn 0.5.3 with its FiniteStateEntropy submodule at the pinned commit, built in place with
# `python3 setup.py build_ext --inplace`; it needs python3-numpy and python3-torch from Debian).
#
#   benchmarks/zipnn.sh ZIPNN_DIR [--quick]      (writes benchmarks/results/zipnn.md and prints it)
# ELFZ_NO_BUILD=1 measures the jars as they are built (no Maven build first).
#
# Both sides run buffer to buffer in a warm process, inputs on tmpfs: ZipNN through its byte API
# (benchmarks/peers/zipnn_bench.py, a fresh copy of the input for each call, since its compress() overwrites it;
# glibc.malloc.mmap_max=0, without which its fresh buffers pay the page cache's first touch and it runs 1.5-3x
# slower), elfz through the library: Elfz.compress / decompress from tmpfs to tmpfs (dev.elfz.bench.ContainerThroughput)
# and every tensor through ElfzReader.readInto into memory the caller owns (dev.elfz.bench.ReadIntoThroughput).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "zipnn.sh: needs a JDK 25 or newer" >&2; exit 1; }
zipnn=${1:-}
[[ -n $zipnn && -d $zipnn/zipnn ]] || { echo "usage: benchmarks/zipnn.sh ZIPNN_DIR [--quick] (a built zipnn/zipnn checkout)" >&2; exit 1; }
rounds=5
[[ ${2:-} == --quick ]] && rounds=3
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
py=/usr/bin/python3
"$py" -c 'import numpy, torch' 2>/dev/null || { echo "zipnn.sh: ZipNN needs python3-numpy and python3-torch (apt-get install)" >&2; exit 1; }

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress}
mkdir -p "$work"
[[ ${ELFZ_NO_BUILD:-} == 1 ]] || build
bert=$(bert_file F32)
bf16=$(bert_file BF16)
mem=$(mktemp -d /dev/shm/elfz-zipnn.XXXXXX)
trap 'rm -rf "$mem"' EXIT
cp "$bert" "$bf16" "$mem/"

out=$root/benchmarks/results/zipnn.md
bench() { "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" "$@"; }
{
  echo "# elfz against ZipNN, in process (benchmarks/zipnn.sh)"
  echo
  echo "Made on $(date -u +%F): $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $("$jdk/bin/java" -version 2>&1 | head -1);"
  echo "ZipNN $(sed -n 's/.*version="\([^"]*\)".*/\1/p' "$zipnn/setup.py") built from its public sources. Inputs on tmpfs, warm process,"
  echo "median of $rounds rounds after one warm-up round; every round trip checked. MB/s = original bytes / time."
  echo
  echo "ZipNN, buffer to buffer (its byte API, \`method=huffman\`):"
  echo
  echo "| input | tool | threads | ratio | compress MB/s | decompress MB/s | seconds (c / d) |"
  echo "|---|---|---|---|---|---|---|"
  for t in 1 2; do
    GLIBC_TUNABLES=glibc.malloc.mmap_max=0 "$py" "$root/benchmarks/peers/zipnn_bench.py" "$zipnn" "$mem/bert.safetensors" float32 $t $rounds
  done
  for t in 1 2; do
    GLIBC_TUNABLES=glibc.malloc.mmap_max=0 "$py" "$root/benchmarks/peers/zipnn_bench.py" "$zipnn" "$mem/bert-bf16.safetensors" bfloat16 $t $rounds
  done
  echo
  echo "elfz lossless, file to file on tmpfs (\`Elfz.compress\` / \`decompress\`, \`ContainerThroughput\`):"
  echo
  echo "| input | mode | threads | chunk | ratio | compress MB/s | decompress MB/s | seconds (c / d) | compress CPU MB/s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  bench dev.elfz.bench.ContainerThroughput "$mem/bert.safetensors" "$mem" $rounds lossless:1:1048576 lossless:2:1048576
  bench dev.elfz.bench.ContainerThroughput "$mem/bert-bf16.safetensors" "$mem" $rounds auto:1:1048576 auto:2:1048576
  echo
  echo "elfz lossless, every tensor loaded into memory the caller owns (\`ElfzReader.readInto\`, \`ReadIntoThroughput\`):"
  echo
  echo "| input | mode | threads | ratio | MB/s | seconds | CPU s/GB |"
  echo "|---|---|---|---|---|---|---|"
  bench dev.elfz.bench.ReadIntoThroughput "$mem/bert.safetensors" "$mem" $rounds lossless:1 lossless:2
  bench dev.elfz.bench.ReadIntoThroughput "$mem/bert-bf16.safetensors" "$mem" $rounds auto:1 auto:2
} | tee "$out.tmp"
mv "$out.tmp" "$out"
