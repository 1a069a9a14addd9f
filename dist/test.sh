#!/usr/bin/env bash
# Tests the distribution as a user without a JDK gets it: unpacks the tarball (dist/build.sh's, or the one given)
# into a temporary directory and runs its bin/elfz in an empty environment whose PATH has no java: --version and -V,
# the start-up cache in use, compress (--codec lossless), verify, info and decompress of all-MiniLM-L6-v2
# (cli/target/models) with a byte-identical round trip, a bad input's one line, the demo without and with its model,
# and the completions and man page in place. Fails on the first step that goes wrong; removes everything it made.
#
#   dist/test.sh [TARBALL]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fail() {
  echo "dist/test.sh: FAIL: $*" >&2
  exit 1
}
tarball=${1:-}
if [[ -z $tarball ]]; then
  tarball=$(ls -t "$root"/cli/target/elfz-*-linux-*.tar.gz 2>/dev/null | head -n 1) || true
fi
[[ -f $tarball ]] || fail "no tarball (run dist/build.sh first)"
model=$root/cli/target/models/all-minilm-l6-v2.onnx
[[ -f $model ]] || fail "no $model (mvn package unpacks it)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/home" "$tmp/tools" "$tmp/work"
tar -C "$tmp" -xzf "$tarball"
install=$(echo "$tmp"/elfz-*)
[[ -x $install/bin/elfz ]] || fail "no bin/elfz in $tarball"

# A PATH with only the tools the launcher and this test call: no java, no mvn.
for tool in bash cat cmp dirname readlink env; do
  ln -s "$(command -v "$tool")" "$tmp/tools/$tool"
done
clean=(env -i "PATH=$tmp/tools" "HOME=$tmp/home")
"${clean[@]}" bash -c 'command -v java' >/dev/null && fail "java is on the test's PATH"
# Through a symlink elsewhere, as an installation into ~/.local/bin would be.
ln -s "$install/bin/elfz" "$tmp/tools/elfz"
elfz() { (cd "$tmp/work" && "${clean[@]}" elfz "$@"); }

step() { echo "dist test: $*"; }
step "elfz --version"
v=$(elfz --version) || fail "--version"
echo "$v"
[[ $v == "elfz "* && $v == *kernel* && $v == *"Java 25"* ]] || fail "--version does not name elfz, the kernel and Java: $v"
[[ $(elfz -V) == "$v" ]] || fail "-V differs from --version"

step "the start-up cache is used"
# (made in the build's staging directory: the JVM maps it wherever the tarball was unpacked)
log=$("${clean[@]}" ELFZ_JAVA_OPTS=-Xlog:class+load=info "$install/bin/elfz" --version 2>&1) || fail "--version -Xlog"
grep -q "dev.elfz.cli.Main source: shared objects file" <<<"$log" || fail "the start-up cache was not used"

cp "$model" "$tmp/work/m.onnx"
step "compress, verify, info, decompress $(basename "$model")"
elfz compress -q --codec lossless m.onnx -o m.elfz || fail "compress"
elfz verify -q m.onnx m.elfz || fail "verify"
elfz info m.elfz >"$tmp/info.txt" || fail "info"
grep -q "m.onnx\|tensors" "$tmp/info.txt" || fail "info printed nothing about the model: $(cat "$tmp/info.txt")"
elfz decompress -q m.elfz -o back.onnx || fail "decompress"
cmp "$tmp/work/m.onnx" "$tmp/work/back.onnx" || fail "the round trip changed the model"
echo "dist test: round trip byte-identical ($(wc -c <"$tmp/work/m.onnx") bytes -> $(wc -c <"$tmp/work/m.elfz"))"

step "a bad input: one line, exit 1"
set +e
err=$(elfz info missing.elfz 2>&1 >/dev/null)
code=$?
set -e
[[ $code == 1 && $(wc -l <<<"$err") == 1 ]] || fail "info of a missing file: exit $code, $err"

step "demo: without its model one line, with it (where README.md puts it) the table"
set +e
# (the demo runs the Java Vector kernel too: the JVM's own line about the incubator module comes first)
elfz demo >/dev/null 2>"$tmp/demo.err"
code=$?
set -e
err=$(grep -v '^WARNING: Using incubator modules' "$tmp/demo.err" || true)
[[ $code == 1 && $err == *"not found"* && $(wc -l <<<"$err") == 1 ]] || fail "demo without its model: exit $code, $err"
mkdir "$install/app/models"
mv "$tmp/work/m.onnx" "$install/app/models/$(basename "$model")"
elfz demo >"$tmp/demo.txt" 2>"$tmp/demo.err" || fail "demo: $(cat "$tmp/demo.err")"
grep -q "ratio" "$tmp/demo.txt" || fail "demo printed no ratio: $(cat "$tmp/demo.txt")"
tail -n 5 "$tmp/demo.txt"

step "completions and man page"
for f in share/bash-completion/completions/elfz share/zsh/site-functions/_elfz share/man/man1/elfz.1; do
  [[ -s $install/$f ]] || fail "no $f"
done
"${clean[@]}" bash -c "source '$install/share/bash-completion/completions/elfz' && complete -p elfz" >/dev/null ||
  fail "the bash completion does not register elfz"
grep -q '^\.TH ELFZ 1' "$install/share/man/man1/elfz.1" || fail "elfz.1 is no man page"
if command -v zsh >/dev/null 2>&1; then
  # zsh in a pseudo-terminal, _elfz on its fpath: "elfz decomp<TAB>" must become "elfz decompress"
  screen=$(timeout 60 zsh -f -c '
    zmodload zsh/zpty
    zpty z zsh -f -i
    zpty -w z "PS1=\"> \"; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
    sleep 2
    zpty -w -n z $'"'"'elfz decomp\t'"'"'
    out=""
    for i in {1..40}; do
      while zpty -r -t z chunk; do out+=$chunk; done
      [[ $out == *decompress* ]] && break
      sleep 0.5
    done
    print -r -- "$out"
    zpty -d z' zsh "$install/share/zsh/site-functions" 2>&1 | tr -d '\r') || true
  [[ $screen == *"elfz decompress"* && $screen != *"not found"* ]] || fail "zsh does not complete elfz: $screen"
fi
echo "dist test: passed ($(du -h "$tarball" | cut -f1) $(basename "$tarball"))"
