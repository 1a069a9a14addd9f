#!/usr/bin/env bash
# Where the time goes: async-profiler (Maven Central's tools.profiler:async-profiler, whose jar ships the
# linux-x64 agent) on the elfz commands, as a user runs them, page cache warm: compress and decompress of
# BERT-base as f32 (ELF, the default for f32) and as bf16 (auto: lossless), with -T1 and -T2, each in two modes:
#   cpu   where the cores are busy (perf events, or a timer where the VM has none)
#   wall  the main thread and the workers every 1 ms whether they run or wait (one tower per thread), so that
#         the page faults, the fsync and the waits of the ordered writer show
# Writes benchmarks/results/profiles/NAME.svg (flame graph), NAME.txt (top frames by self and total share)
# and NAME.collapsed (the collapsed stacks, trimmed to the heaviest 50), NAME like decompress-f32-T2-wall;
# prints the load (uptime) before and after, which goes with the figures.
#
#   benchmarks/profile.sh [f32|bf16]...     (default: both)
# ELFZ_NO_BUILD=1 profiles the jars as they are built (no Maven build first).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "profile.sh: needs a JDK 25 or newer" >&2; exit 1; }
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need unzip=unzip

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/compress} # shares BERT's files with compress.sh
out=$root/benchmarks/results/profiles
mkdir -p "$work" "$out"
[[ ${ELFZ_NO_BUILD:-} == 1 ]] || build

# The agent out of the registry's jar, under target/.
ap_version=4.1
ap_dir=$root/benchmarks/target/async-profiler
agent=$ap_dir/linux-x64/libasyncProfiler.so
if [[ ! -f $agent ]]; then
  mvn -B -q dependency:get -Dtransitive=false -Dartifact=tools.profiler:async-profiler:$ap_version >/dev/null
  repo=${MAVEN_REPO:-$HOME/.m2/repository}
  unzip -q -o "$repo/tools/profiler/async-profiler/$ap_version/async-profiler-$ap_version.jar" 'linux-x64/*' -d "$ap_dir"
fi

# profile NAME MODE CMD...: runs the command under the agent, then draws and summarizes its stacks
profile() {
  local name=$1 mode=$2
  shift 2
  local stacks=$work/$name.collapsed options threads=.
  case $mode in
    cpu) options=event=cpu,interval=1ms ;;
    wall) # the JVM's own threads (compilers, GC) mostly sleep: the main thread and the workers only
      options=event=wall,interval=1ms,threads
      threads='^\[(main|elfz-)'
      ;;
  esac
  ELFZ_JAVA_OPTS="-agentpath:$agent=start,$options,cstack=vm,ann,collapsed,file=$stacks" "$@" >/dev/null
  "$jdk/bin/java" -cp "$root/benchmarks/target/benchmarks.jar" dev.elfz.bench.FlameSvg \
    "$stacks" "$out/$name.svg" "elfz $name, load $(cut -d' ' -f1 /proc/loadavg)" 25 "$threads" >"$out/$name.txt"
  grep -E "$threads" "$stacks" | awk '{print $NF "\t" $0}' | sort -nr -k1,1 | awk 'NR <= 50' | cut -f2- >"$out/$name.collapsed"
  echo "$name: $(awk 'NR >= 2 && NR <= 4' "$out/$name.txt" | tr -s ' ' | paste -sd';')"
}

elfz=$root/bin/elfz
echo "load before: $(uptime)"
dtypes=("$@")
((${#dtypes[@]})) || dtypes=(f32 bf16)
for d in "${dtypes[@]}"; do
  in=$(bert_file "${d^^}")
  cat "$in" >/dev/null # page cache warm
  for t in 1 2; do
    for mode in cpu wall; do
      profile "compress-$d-T$t-$mode" $mode "$elfz" compress -q -f -T "$t" "$in" -o "$work/$d.elfz"
      profile "decompress-$d-T$t-$mode" $mode "$elfz" decompress -q -f -T "$t" "$work/$d.elfz" -o "$work/$d.out"
    done
  done
done
echo "load after: $(uptime)"
