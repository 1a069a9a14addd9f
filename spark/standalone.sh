#!/usr/bin/env bash
# elfz-spark through spark-submit on a real standalone cluster, from the jars alone (no Spark distribution): a
# Master and one Worker (2 cores, 2 GB) on localhost, started from spark-core's classes, with a SPARK_HOME whose jars/
# links spark/target/spark-lib's jars and Jackson (the Worker builds its executors' class path from it). The analyze
# and compress jobs are submitted to spark://localhost:7077 by org.apache.spark.deploy.SparkSubmit, in client mode, with
# docs/spark.md's command. The hub is all-MiniLM-L6-v2 (cli/target/models, unpacked by the cli build) twice. The
# report must equal `bin/elfz analyze --json` (means and standard deviations within 1e-12 relative; the in-memory
# table's size aside), each archive `bin/elfz compress`'s byte for byte. Everything under DIR (default
# spark/target/standalone) is deleted first; the cluster is stopped at the end.
#
#   spark/standalone.sh [DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
# shellcheck source=bin/spark-opts.sh
source "$root/bin/spark-opts.sh"
jdk=$(find_jdk) || { echo "standalone.sh: needs a JDK 25 or newer" >&2; exit 1; }
work=${1:-$root/spark/target/standalone}
minilm=$root/cli/target/models/all-minilm-l6-v2.onnx
if [[ ! -f $minilm || ! -d $root/spark/target/spark-lib ]]; then
  (cd "$root" && env "JAVA$(jdk_major "$jdk")_HOME=$jdk" MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
    mvn -B -q -DskipTests -Delfz.format.skip=true -pl cli,spark -am package >/dev/null)
fi
rm -rf "$work"
mkdir -p "$work/home" "$work/local" "$work/worker" "$work/hub/minilm" "$work/hub/minilm-copy"
# a distribution's jars/: Spark and its dependencies; Jackson, which the build copies to lib/ (elfz-core's too)
mkdir "$work/home/jars"
ln -s "$root"/spark/target/spark-lib/*.jar "$root"/spark/target/lib/jackson-*.jar "$work/home/jars/"
cp "$minilm" "$work/hub/minilm/model.onnx"
cp "$minilm" "$work/hub/minilm-copy/model.onnx"
export SPARK_HOME=$work/home SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_DIRS=$work/local

java=("$jdk/bin/java" "${opens[@]}" -Xmx512m -cp "$work/home/jars/*")
pids=()
stop() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop EXIT

"${java[@]}" org.apache.spark.deploy.master.Master --host localhost --port 7077 --webui-port 18080 \
  >"$work/master.log" 2>&1 &
pids+=($!)
"${java[@]}" org.apache.spark.deploy.worker.Worker --cores 2 --memory 2g --work-dir "$work/worker" \
  --webui-port 18081 spark://localhost:7077 >"$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  grep -q "Successfully registered with master" "$work/worker.log" && break
  sleep 1
done
grep -q "Successfully registered with master" "$work/worker.log" || {
  cat "$work/master.log" "$work/worker.log" >&2
  echo "standalone.sh: the worker did not register in 120 s" >&2
  exit 1
}
echo "standalone.sh: master and worker up" >&2

jars=$(printf '%s\n' "$root"/spark/target/lib/{elfz,hash4j}-*.jar | paste -sd,)
app=$root/spark/target/elfz-spark-$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$root/pom.xml" | head -n 1).jar
submit() { # ARGS of the job
  local native="--enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector"
  "${java[@]}" org.apache.spark.deploy.SparkSubmit --master spark://localhost:7077 --class dev.elfz.spark.Main \
    --jars "$jars" --conf spark.executor.extraJavaOptions="$native" --conf spark.driver.extraJavaOptions="$native" \
    --conf spark.executor.memory=1g --conf spark.ui.enabled=false "$app" "$@"
}
start=$(date +%s.%N)
submit analyze "$work/hub" -o "$work/report" 2>"$work/analyze.log" || { cat "$work/analyze.log" >&2; exit 1; }
mid=$(date +%s.%N)
submit compress "$work/hub" -o "$work/out" --codec lossless 2>"$work/compress.log" ||
  { cat "$work/compress.log" >&2; exit 1; }
end=$(date +%s.%N)
grep -q "app-" "$work/master.log" # the jobs ran on the cluster, as applications of the master

"$root/bin/elfz" analyze --json "$work/hub" >"$work/single.json"
python3 - "$work/single.json" "$work/report/report.json" <<'PY'
import json, sys
e, a = (json.load(open(p)) for p in sys.argv[1:3])
for r in (e, a):
    for f in ("memory_bytes", "memory_limit", "saturated"):
        r["chunk_index"].pop(f)
def same(at, x, y):
    if isinstance(x, dict):
        assert list(x) == list(y), at
        for k in x:
            same(at + "." + k, x[k], y[k])
    elif isinstance(x, list):
        assert len(x) == len(y), at
        for i, (p, q) in enumerate(zip(x, y)):
            same(f"{at}[{i}]", p, q)
    elif at.endswith((".mean", ".std")) and isinstance(x, float):
        assert abs(x - y) <= 1e-12 * max(1, abs(x)), (at, x, y)
    else:
        assert x == y, (at, x, y)
same("", e, a)
print(f"standalone.sh: report.json equals elfz analyze --json ({len(a['files'])} files, "
      f"{len(a['predictions'])} predictions, {len(a['pairs'])} pairs)", file=sys.stderr)
PY
for m in minilm minilm-copy; do
  "$root/bin/elfz" compress --codec lossless "$work/hub/$m" -o "$work/$m.elfz" >/dev/null
  cmp "$work/$m.elfz" "$work/out/$m.elfz"
done
echo "standalone.sh: archives identical to elfz compress's" >&2
printf 'standalone.sh: analyze %.1f s, compress %.1f s (spark-submit to spark://localhost:7077)\n' \
  "$(echo "$mid - $start" | bc)" "$(echo "$end - $mid" | bc)" >&2
