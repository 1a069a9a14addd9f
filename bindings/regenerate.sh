#!/usr/bin/env bash
# Regenerates the committed FFM bindings from native/include/elfz.h with jextract (JDK 25 build).
# jextract comes from PATH or $JEXTRACT; nothing here builds or downloads it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
header=$here/../native/include/elfz.h
out=$here/src/main/java

jextract=${JEXTRACT:-$(command -v jextract || true)}
if [ -z "$jextract" ] || [ ! -x "$jextract" ]; then
  cat >&2 <<'MSG'
regenerate.sh: jextract not found. Install a jextract build for JDK 25 (binaries: https://jdk.java.net/jextract/,
sources: https://github.com/openjdk/jextract), then put its bin/ on PATH or run JEXTRACT=/path/to/bin/jextract bindings/regenerate.sh
MSG
  exit 1
fi

# Bind exactly the public API: every ELFZ_API function and every ELFZ_ value macro of the header.
args=()
for f in $(grep -oE '^ELFZ_API[^(]*\belfz_[a-z0-9_]+\(' "$header" | grep -oE 'elfz_[a-z0-9_]+'); do
  args+=(--include-function "$f")
done
for c in $(grep -oE '^#define ELFZ_[A-Z0-9_]+ [^ ]' "$header" | awk '{print $2}'); do
  args+=(--include-constant "$c")
done

# the generated files only: package-info.java is written by hand
find "$out/dev/elfz/bindings" -name '*.java' ! -name package-info.java -delete 2>/dev/null || true
"$jextract" --output "$out" --target-package dev.elfz.bindings --header-class-name elfz_h "${args[@]}" "$header"
echo "regenerated $(find "$out/dev/elfz/bindings" -name '*.java' ! -name package-info.java | wc -l) files with $("$jextract" --version 2>&1 | head -1)"
