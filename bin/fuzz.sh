#!/usr/bin/env bash
# Long coverage-guided fuzzing runs (Jazzer, libFuzzer's engine) of one parser:
#
#   bin/fuzz.sh TARGET [SECONDS]    TARGET: elfz, safetensors, onnx, torch, gguf or npy; SECONDS default 600
#   bin/fuzz.sh seeds               rewrites the committed seed corpora from the tests' helpers
#
# A run starts from the committed seeds (core/ or cli/src/test/resources/.../<Target>Inputs/<method>/) and from the corpus
# earlier runs grew (core/ or cli/.cifuzz-corpus/, not committed), with a random libFuzzer seed. A finding (an exception
# other than the target's documented one, a failed property, a JVM crash) stops the run: its input is saved as
# crash-<sha1> in the seed directory, where every build then runs it as a regression test; fix the bug, keep the file.
# The log goes to core/ or cli/target/fuzz-TARGET.log; the last lines say how many inputs ran and the coverage reached.
set -euo pipefail

root=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
JAVA25_HOME=$(find_jdk) || { echo "fuzz.sh: needs a JDK 25 or newer" >&2; exit 1; }
export JAVA25_HOME

usage() {
  echo "usage: bin/fuzz.sh elfz|safetensors|onnx|torch|gguf|npy [SECONDS]  or  bin/fuzz.sh seeds" >&2
  exit 2
}

target=${1:-}
cd "$root"
case $target in
  elfz) class=ElfzFuzzTarget module=core ;;
  safetensors) class=SafetensorsFuzzTarget module=core ;;
  onnx) class=OnnxFuzzTarget module=core ;;
  torch) class=TorchFuzzTarget module=core ;;
  gguf) class=GgufFuzzTarget module=core ;;
  npy) class=NpyFuzzTarget module=cli ;;
  seeds)
    exec mvn -B -q -pl core,cli -am test -Dtest='*FuzzTarget' -Delfz.fuzz.writeSeeds=true -Dsurefire.failIfNoSpecifiedTests=false
    ;;
  *) usage ;;
esac
seconds=${2:-600}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage

log=$module/target/fuzz-$target.log
mkdir -p $module/target
touch "$log.start"
echo "fuzzing $class for $seconds s; log in $log"
status=0
JAZZER_FUZZ=1 mvn -B -pl $module -am test -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.max_duration="${seconds}s" -Djazzer.instrumentation_includes='dev.elfz.**' \
  -Djazzer.custom_hook_includes='dev.elfz.**' -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-print_final_stats=1 \
  >"$log" 2>&1 || status=$?
grep -aE '^#[0-9]+ +(INITED|DONE)|^INFO: Seed|stat::number_of_executed_units|stat::new_units_added|== Java Exception|Tests run:' "$log" | tail -n 12
find $module/src/test/resources -path "*/${class}Inputs/*" -name 'crash-*' -newer "$log.start" 2>/dev/null || true
exit $status
