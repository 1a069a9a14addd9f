#!/usr/bin/env bash
# PyTorch and GGUF checkpoints of BERT-base's real weights against the same weights as safetensors: elfz's ratio and
# speed on each, every output checked by a reader elfz does not contain.
#
#   benchmarks/checkpoints.sh [RUNS]      (default 3: the median of RUNS interleaved runs)
#
# Inputs, made once under benchmarks/target/checkpoints:
#   bert.safetensors      BERT-base float32 (lib.sh's bert_file)
#   pytorch_model.bin     torch.save (Debian's python3-torch) of the same tensors, the word embeddings tied to a
#                         decoder weight as Hugging Face's BertForMaskedLM saves them (checkpoints/bert_torch.py)
#   bert-f16.gguf         the matrices in F16, the vectors in F32 (dev.elfz.samples.BertGguf, the project's own
#   bert-q8_0.gguf        writer: no GGUF of a model is to be had from the registries here), the matrices in Q8_0,
#   bert-q4_0.gguf        Q4_0 (llama.cpp's reference quantizers, round(x / d) with d from the block's largest value),
#   bert-q4_k.gguf        Q4_K and Q6_K (ggml's block layout; each sub-block's scale from its own range, without
#   bert-q6_k.gguf        ggml's search for a better one)
# Checks: lossless outputs are the same bytes (cmp); lossy PyTorch outputs load with torch.load(weights_only=True),
# keys, shapes, strides and the tie kept; every GGUF output parses with @huggingface/gguf (npm) with the same
# metadata and tensor infos as its input (checkpoints/check-gguf.mjs).
# Writes benchmarks/results/checkpoints.md (and prints it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "checkpoints.sh: needs a JDK 25 or newer" >&2; exit 1; }
runs=${1:-3}
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
need /usr/bin/time=time node=nodejs npm=npm jq=jq
py=/usr/bin/python3 # Debian's, where python3-torch installs
if ! "$py" -c 'import torch' 2>/dev/null; then
  [[ $(id -u) == 0 ]] && apt-get install -y -q python3-torch >/dev/null 2>&1 || true
  "$py" -c 'import torch' 2>/dev/null || { echo "checkpoints.sh: needs python3-torch (apt-get install python3-torch)" >&2; exit 1; }
fi

work=${ELFZ_BENCH_DIR:-$root/benchmarks/target/checkpoints}
mkdir -p "$work"
elfz=$root/bin/elfz
build
bert=$(bert_file F32)
here=$root/benchmarks/checkpoints
cp "$here/package.json" "$work/package.json"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null)
cp "$here/check-gguf.mjs" "$work/check-gguf.mjs"
gguf_check() { (cd "$work" && node check-gguf.mjs "$@"); }

[[ $bert -ef $work/bert.safetensors ]] || ln -sf "$bert" "$work/bert.safetensors"
[[ -f $work/pytorch_model.bin ]] || "$py" "$here/bert_torch.py" save "$bert" "$work/pytorch_model.bin"
gguf_types=(F16 Q8_0 Q4_0 Q4_K Q6_K)
for t in "${gguf_types[@]}"; do
  f=$work/bert-${t,,}.gguf
  [[ -f $f ]] || "$jdk/bin/java" -cp "$root/benchmarks/target/benchmarks.jar" dev.elfz.samples.BertGguf "$bert" "$f" "$t"
done
gguf_files=()
for t in "${gguf_types[@]}"; do gguf_files+=("bert-${t,,}.gguf"); done
(cd "$work" && node check-gguf.mjs "${gguf_files[@]}")

inputs=(bert.safetensors pytorch_model.bin "${gguf_files[@]}")
modes=("--codec lossless" "--codec elf" "--error-bound 1e-4")
: >"$work/times"
: >"$work/sizes"
: >"$work/checks"
: >"$work/blocks"
measure() { # NAME CMD...: appends "NAME wall-seconds cpu-seconds" (user + system) to $work/times
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/time.out" "$@" >/dev/null
  echo "$name $(awk '{print $1, $2 + $3}' "$work/time.out")" >>"$work/times"
}
for f in "${inputs[@]}"; do cat "$work/$f" >/dev/null; done
for ((r = 1; r <= runs; r++)); do
  for f in "${inputs[@]}"; do
    for m in "${modes[@]}"; do
      key="$f|$m"
      z=$work/out.elfz
      # shellcheck disable=SC2086
      measure "$key|c" "$elfz" compress -q -f -T 1 $m "$work/$f" -o "$z"
      measure "$key|d" "$elfz" decompress -q -f -T 1 "$z" -o "$work/back-$f"
      echo "$key $(stat -c %s "$z")" >>"$work/sizes"
      if [[ $r == 1 && $f == bert-q* && $m == "--codec lossless" ]]; then # the quantized tensors (U8 blocks) alone
        "$elfz" info --json "$z" | jq -r --arg f "$f" '[.files[].tensors[] | select(.dtype == "U8")] |
          "\($f) \(length) \(map(.bytes) | add) \(map(.stored_bytes) | add) \(map(select(.codec == "blocks")) | length)"' \
          >>"$work/blocks"
      fi
      if [[ $r == 1 ]]; then # check each output once
        case "$m|$f" in
          --codec\ lossless*) cmp "$work/$f" "$work/back-$f" ;;
          *.bin) echo "$key $("$py" "$here/bert_torch.py" check "$work/$f" "$work/back-$f")" | tee -a "$work/checks" ;;
          *.gguf) echo "$key $(gguf_check --same "$work/$f" "$work/back-$f" | tail -1)" | tee -a "$work/checks" ;;
        esac
      fi
    done
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
{
  echo "# PyTorch and GGUF checkpoints against safetensors, BERT-base"
  echo
  echo "Made by \`benchmarks/checkpoints.sh $runs\` on $(date -u +%F): $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores,"
  echo "load average at the start $(cut -d' ' -f1-3 /proc/loadavg), $("$jdk/bin/java" -version 2>&1 | head -1), torch $("$py" -c 'import torch; print(torch.__version__)')."
  echo "One thread (-T 1), the whole command (JVM start and fsync included), median of $runs interleaved runs, page"
  echo "cache warm. MB/s = original bytes / seconds: wall clock, and CPU (user + system; less sensitive to other"
  echo "work on the machine, so the figures to compare when the load average is above the cores)."
  echo "The GGUF files are written by the project's own test writer from the same weights (no GGUF model is to be"
  echo "had from the registries this machine reaches). Quantized blocks go through the blocks codec (each block field a"
  echo "byte plane for the entropy stage) whatever the mode; lossy modes change only the F32 vectors. Q8_0 and Q4_0 are"
  echo "quantized as llama.cpp's reference quantizers do; Q4_K and Q6_K in ggml's block layout, with each sub-block's"
  echo "scale from its own range (ggml searches for a better one, so real files' scales and quants differ somewhat)."
  echo
  echo "| input | bytes | mode | ratio | compress MB/s (wall / CPU) | decompress MB/s (wall / CPU) | check |"
  echo "|---|---|---|---|---|---|---|"
  for f in "${inputs[@]}"; do
    size=$(stat -L -c %s "$work/$f")
    for m in "${modes[@]}"; do
      key="$f|$m"
      z=$(grep -F "$key " "$work/sizes" | head -1 | awk '{print $NF}')
      c=$(grep -F "$key|c " "$work/times" | awk '{print $(NF-1)}' | median)
      d=$(grep -F "$key|d " "$work/times" | awk '{print $(NF-1)}' | median)
      cc=$(grep -F "$key|c " "$work/times" | awk '{print $NF}' | median)
      dc=$(grep -F "$key|d " "$work/times" | awk '{print $NF}' | median)
      case "$m|$f" in
        --codec\ lossless*) check="identical bytes" ;;
        *.bin) check="torch.load ok, max error $(grep -F "$key " "$work/checks" | awk '{print $NF}')" ;;
        *.gguf) check="@huggingface/gguf: same layout" ;;
        *) check="-" ;;
      esac
      awk -v f="$f" -v s="$size" -v m="$m" -v z="$z" -v c="$c" -v d="$d" -v cc="$cc" -v dc="$dc" -v k="$check" \
        'BEGIN {printf "| %s | %d | %s | %.3f | %.0f / %.0f | %.0f / %.0f | %s |\n", f, s, m, s / z,
                s / 1e6 / c, s / 1e6 / cc, s / 1e6 / d, s / 1e6 / dc, k}'
    done
  done
  echo
  echo "The quantized tensors alone (\`--codec lossless\`, from \`elfz info --json\`: the U8 tensors' bytes and stored bytes):"
  echo
  echo "| input | quantized tensors | through blocks | bytes | stored | ratio |"
  echo "|---|---|---|---|---|---|"
  while read -r f n bytes stored planes; do
    awk -v f="$f" -v n="$n" -v b="$bytes" -v s="$stored" -v p="$planes" \
      'BEGIN {printf "| %s | %d | %d | %d | %d | %.3f |\n", f, n, p, b, s, b / s}'
  done <"$work/blocks"
} >"$root/benchmarks/results/checkpoints.md"
rm -f "$work/sizes" "$work/checks" "$work/blocks"
cat "$root/benchmarks/results/checkpoints.md"
