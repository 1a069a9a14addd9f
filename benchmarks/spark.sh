#!/usr/bin/env bash
# elfz-spark analyze (Spark local mode, every core) against elfz analyze on a planted hub of GB gigabytes (default
# 20): three models made from BERT-base's real values (benchmarks/src/.../HugeModel: tiled, every copy perturbed),
# one bfloat16, one float32, and a mirror of the first (a hub holds copies). Each run under /usr/bin/time (wall time,
# peak resident memory); Spark's event log gives the shuffle bytes and the scan tasks' run time. The two reports'
# counts are compared. Nothing is kept but the write-up: the hub, reports and event log are deleted at the end.
# Needs about 1.1 x GB of free disk under DIR.
#
#   benchmarks/spark.sh [GB [DIR]]      (DIR: default benchmarks/target/spark; results in benchmarks/results/spark.md)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "spark.sh: needs a JDK 25 or newer" >&2; exit 1; }
gb=${1:-20}
work=${2:-$root/benchmarks/target/spark}
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need /usr/bin/time=time
need python3=python3
mkdir -p "$work"
total=$((gb * 1000000000))
need_kb=$((total * 11 / 10 / 1024))
avail_kb=$(df -k --output=avail "$work" | tail -1)
if ((avail_kb < need_kb)); then
  echo "spark.sh: $work has $((avail_kb / 1048576)) GiB free, $gb GB needs about $((need_kb / 1048576)) GiB" >&2
  exit 1
fi
if [[ ${ELFZ_NO_BUILD:-} != 1 ]]; then
  (cd "$root" && env "JAVA$(jdk_major "$jdk")_HOME=$jdk" MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
    mvn -B -q -DskipTests -Delfz.format.skip=true -pl benchmarks,spark -am package >/dev/null)
fi
bert=$(bert_file F32)
bf16=$(bert_file BF16)
hub=$work/hub
trap 'rm -rf "$hub" "$work/report" "$work/events" "$work/tmp" "$work/single.json"' EXIT
rm -rf "$hub" "$work/report" "$work/events" "$work/tmp"
mkdir -p "$hub" "$work/events" "$work/tmp"

echo "spark.sh: planting $gb GB under $hub" >&2
third=$((total / 3))
plant() { # SOURCE DIR
  "$jdk/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/benchmarks/target/benchmarks.jar" \
    dev.elfz.bench.HugeModel "$1" "$2" "$third" 2000000000
}
plant "$bf16" "$hub/bert-bf16-tiled"
plant "$bert" "$hub/bert-f32-tiled"
cp -r "$hub/bert-bf16-tiled" "$hub/bert-bf16-mirror"
in_bytes=$(du -sb "$hub" | cut -f1)
sync

measure() { # NAME CMD...: appends "NAME seconds maxrss_kb" to $work/times
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time.out" "$@"
  echo "$name $(cat "$work/time.out")" >>"$work/times"
}
: >"$work/times"
cores=$(nproc)
echo "spark.sh: elfz analyze" >&2
measure single "$root/bin/elfz" analyze --json -q -T "$cores" "$hub" >"$work/single.json"
echo "spark.sh: elfz-spark analyze" >&2
ELFZ_SPARK_MASTER="local[$cores]" \
  ELFZ_SPARK_JAVA_OPTS="-Xmx4g -Dspark.eventLog.enabled=true -Dspark.eventLog.dir=file://$work/events -Dspark.eventLog.compress=false -Dspark.eventLog.rolling.enabled=false -Dspark.local.dir=$work/tmp" \
  measure spark "$root/bin/elfz-spark" analyze "$hub" -o "$work/report" >&2

python3 - "$work" "$in_bytes" "$gb" "$cores" >"$root/benchmarks/results/spark.md" <<'EOF'
import glob, json, sys
work, in_bytes, gb, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
times = {l.split()[0]: (float(l.split()[1]), int(l.split()[2])) for l in open(work + "/times")}
single = json.load(open(work + "/single.json"))
spark = json.load(open(work + "/report/report.json"))
for k in ("fixed4k_chunks", "fixed512_chunks", "cdc_chunks", "distinct_fixed4k", "distinct_fixed512", "distinct_cdc"):
    assert single["chunk_index"][k] == spark["chunk_index"][k], k
for k in ("duplicate_layers", "duplicate_layer_bytes", "fixed4k_bytes", "fixed512_bytes", "cdc_bytes"):
    assert single["total"]["duplication"][k] == spark["total"]["duplication"][k], k
written = read = 0
scan_ms = scan_tasks = 0
for f in glob.glob(work + "/events/**/events_*", recursive=True) + glob.glob(work + "/events/*local-*"):
    if not __import__("os").path.isfile(f):
        continue
    for line in open(f):
        e = json.loads(line)
        if not isinstance(e, dict):
            continue
        if e.get("Event") != "SparkListenerTaskEnd" or "Task Metrics" not in e:
            continue
        m = e["Task Metrics"]
        w = m.get("Shuffle Write Metrics", {}).get("Shuffle Bytes Written", 0)
        written += w
        read += m.get("Shuffle Read Metrics", {}).get("Remote Bytes Read", 0) + m.get("Shuffle Read Metrics", {}).get("Local Bytes Read", 0)
        if w > 0 and e["Task Info"].get("Failed") is False and m.get("Shuffle Read Metrics", {}).get("Local Bytes Read", 0) == 0:
            scan_ms += m["Executor Run Time"]
            scan_tasks += 1
g = in_bytes / 1e9
s_single, m_single = times["single"]
s_spark, m_spark = times["spark"]
d = spark["total"]["duplication"]
print(f"# elfz-spark analyze against elfz analyze ({g:.1f} GB hub)\n")
print(f"`benchmarks/spark.sh {gb}` on this {cores}-core VM (x86_64, AVX-512), Spark {'4.2.0'} local[{cores}], "
      f"load average {open('/proc/loadavg').read().split()[2]} over the last 15 minutes at the end (the run's own "
      "threads count in it: above the cores, other work ran beside it).\n")
print("Hub: a bfloat16 and a float32 model tiled from BERT-base (HugeModel: every copy perturbed) and a mirror of the "
      "first, one third each.\n")
print("| run | seconds | MB/s | peak RSS MB |")
print("|---|---:|---:|---:|")
print(f"| elfz analyze -T {cores} | {s_single:.1f} | {in_bytes / 1e6 / s_single:.0f} | {m_single / 1024:.0f} |")
print(f"| elfz-spark analyze, local[{cores}] | {s_spark:.1f} | {in_bytes / 1e6 / s_spark:.0f} | {m_spark / 1024:.0f} |")
print()
print(f"Both reports agree on every chunk count and duplicate byte figure (checked by the script): "
      f"{spark['chunk_index']['fixed512_chunks']} 512 B chunks, {spark['chunk_index']['cdc_chunks']} FastCDC chunks; "
      f"duplicate bytes 4 KiB {d['fixed4k_bytes']}, 512 B {d['fixed512_bytes']}, FastCDC {d['cdc_bytes']}, "
      f"whole tensors {d['duplicate_layer_bytes']}.\n")
print(f"- shuffle written: {written / 1e6:.0f} MB, {written / g / 1e6:.1f} MB per GB of input ({written / in_bytes * 100:.2f} %)")
print(f"- shuffle read: {read / 1e6:.0f} MB")
if scan_ms:
    print(f"- scan tasks (writing fingerprints to the shuffle): {scan_tasks}, {scan_ms / 1000:.1f} s of executor time, "
          f"{in_bytes / 1e6 / (scan_ms / 1000):.0f} MB/s per task")
EOF
cat "$root/benchmarks/results/spark.md"
