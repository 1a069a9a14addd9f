#!/usr/bin/env bash
# Makes the distribution, cli/target/elfz-VERSION-linux-ARCH.tar.gz, out of what `mvn package` (or verify) built in
# cli/target: the command's jar and its libraries (the native kernel is inside elfz-core's jar), a Java runtime made
# by jlink from the build's JDK with only the modules elfz uses, the ahead-of-time start-up cache made for that
# runtime, the launcher dist/elfz, the bash and zsh completions and the man page (dev.elfz.cli.ShellFiles). No model:
# `elfz demo` takes one (see README.md). `mvn -B -Pdist -DskipTests package` builds and then runs this script.
#
#   dist/build.sh        prints the tarball's path last
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bin/jdk.sh
source "$root/bin/jdk.sh"
die() {
  echo "dist/build.sh: $*" >&2
  exit 1
}
jdk=$(find_jdk) || die "needs a JDK 25 or newer"
[[ -d $jdk/jmods || -f $jdk/lib/modules ]] || die "$jdk has no modules to link a runtime from"
target=$root/cli/target
jar=""
for j in "$target"/elfz-cli-*.jar; do
  case $j in *-sources.jar | *-javadoc.jar | *-tests.jar) ;; *) [[ -f $j ]] && jar=$j ;; esac
done
[[ -n $jar && -d $target/lib ]] || die "no elfz-cli jar or lib/ in $target: run mvn -B -DskipTests -pl cli -am package"
version=$(basename "$jar" .jar)
version=${version#elfz-cli-}
arch=$(uname -m)
name=elfz-$version-linux-$arch
stage=$target/dist/$name
rm -rf "$target/dist"
mkdir -p "$stage"/{bin,app}

# The jars, laid out as in cli/target: the jar's manifest names lib/*.jar beside it.
cp "$jar" "$stage/app/"
cp -r "$target/lib" "$stage/app/lib"
sed "s/@JAR@/$(basename "$jar")/" "$root/dist/elfz" >"$stage/bin/elfz"
chmod 755 "$stage/bin/elfz"
cp "$root/bin/command-opts.sh" "$stage/bin/"

# ONNX Runtime's jar carries its native library for five platforms and macOS debug symbols (75 MB): this tarball
# keeps the one it runs on (ai/onnxruntime/native/linux-x64 or linux-aarch64), as ONNX Runtime looks it up.
ort=$(echo "$stage"/app/lib/onnxruntime-*.jar)
if [[ -f $ort ]]; then
  case $arch in x86_64) ort_os=linux-x64 ;; aarch64) ort_os=linux-aarch64 ;; *) die "no ONNX Runtime for $arch" ;; esac
  mkdir "$target/dist/ort"
  mapfile -t keep < <("$jdk/bin/jar" tf "$ort" | grep -v '/$' | grep -v '^ai/onnxruntime/native/' || true)
  (cd "$target/dist/ort" && "$jdk/bin/jar" xf "$ort" "${keep[@]}" "ai/onnxruntime/native/$ort_os")
  [[ -f $target/dist/ort/ai/onnxruntime/native/$ort_os/libonnxruntime.so ]] || die "no $ort_os library in $ort"
  "$jdk/bin/jar" --create --file "$ort" --manifest "$target/dist/ort/META-INF/MANIFEST.MF" -C "$target/dist/ort" .
  rm -rf "$target/dist/ort"
fi

# The runtime: the modules jdeps finds in every jar (JFreeChart's java.desktop, ONNX Runtime's, Jackson's ...), the
# incubator vector API (the Java Vector kernel, loaded by name) and jdk.zipfs (none of it found by jdeps).
cp=$stage/app/$(basename "$jar")$(printf ':%s' "$stage"/app/lib/*.jar)
modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 -q \
  --class-path "$cp" "$stage/app/$(basename "$jar")" "$stage"/app/lib/*.jar)
[[ ,$modules, == *,jdk.incubator.vector,* ]] || modules=$modules,jdk.incubator.vector
echo "dist: jlink $modules"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$stage/runtime"

# The start-up cache, made with the very java command bin/elfz runs where the native kernel serves.
java_cmd=$(sed -n 's/^java_cmd=(\(.*\))$/\1/p' "$stage/bin/elfz")
[[ $java_cmd == *'"${vector[@]}"'* ]] || die "cannot read the java command of dist/elfz"
cache_cmd=("$stage/runtime/bin/java" --enable-native-access=ALL-UNNAMED -cp "$stage/app/$(basename "$jar")")
if ! "$root/bin/aot-cache.sh" "$stage/app/elfz.aot" "${cache_cmd[@]}"; then
  die "the start-up cache could not be made"
fi

# Completions and the man page, from the command's own definitions.
"$stage/runtime/bin/java" --enable-native-access=ALL-UNNAMED -cp "$stage/app/$(basename "$jar")" \
  dev.elfz.cli.ShellFiles "$stage"
cp "$root/README.md" "$root/FORMAT.md" "$stage/"

# The tarball appears whole: written beside, then renamed.
out=$target/$name.tar.gz
tar -C "$target/dist" --owner=0 --group=0 --numeric-owner -czf "$out.tmp" "$name"
mv -f "$out.tmp" "$out"
echo "dist: $(du -h "$out" | cut -f1) $out in ${SECONDS}s (runtime $(du -sh "$stage/runtime" | cut -f1), jars $(du -sh "$stage/app/lib" | cut -f1), cache $(du -h "$stage/app/elfz.aot" | cut -f1))"
echo "$out"
