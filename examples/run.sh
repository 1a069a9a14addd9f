#!/usr/bin/env bash
# Checks examples/read-tensor as a user would build it: elfz-core (with the bindings and the parent pom) installed in
# the local Maven repository, the example compiled against it alone, run on the module path on an ONNX model
# compressed by bin/elfz; and a copy of it that imports dev.elfz.container must not compile (the module exports
# only the API). Run from anywhere after a build of the command (`mvn -B verify` or bin/elfz).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=bin/jdk.sh
source bin/jdk.sh
jdk=$(find_jdk) || { echo "examples: no JDK 25 or newer" >&2; exit 1; }
export "JAVA$(jdk_major "$jdk")_HOME=$jdk" # Maven's toolchain finds this JDK
# exec:exec starts `java` from the PATH when Maven itself runs on this JDK (the toolchain is then not used)
export PATH="$jdk/bin:$PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== examples: installing elfz-core in the local repository"
mvn -B -q -DskipTests -pl core -am install

echo "== examples: read-tensor on the module path"
bin/elfz compress -q cli/target/models/all-minilm-l6-v2.onnx -o "$tmp/m.onnx.elfz"
out=$(mvn -B -q -Dstyle.color=never -f examples/read-tensor/pom.xml compile exec:exec -Delfz.args="$tmp/m.onnx.elfz")
echo "$out"
grep -q 'embeddings.word_embeddings.weight F32 \[30522, 384\]' <<<"$out" || { echo "examples: unexpected output" >&2; exit 1; }

echo "== examples: the container is not visible to the example"
cp -r examples/read-tensor "$tmp/leak"
rm -rf "$tmp/leak/target"
sed -i 's/^import dev.elfz.ElfzReader;$/&\nimport dev.elfz.container.Archive;/' \
  "$tmp/leak/src/main/java/dev/elfz/examples/ReadTensor.java"
if mvn -B -q -f "$tmp/leak/pom.xml" compile >"$tmp/leak.log" 2>&1; then
  echo "examples: an import of dev.elfz.container compiled; module-info exports too much" >&2
  exit 1
fi
grep -q 'package dev.elfz.container is declared in module dev.elfz.core, which does not export it' "$tmp/leak.log" || {
  cat "$tmp/leak.log" >&2
  echo "examples: the import failed for another reason" >&2
  exit 1
}
echo "examples: ok"
