#!/usr/bin/env bash
# Builds libelfz with CMake and puts it where the Java loader looks for it on the classpath.
#
#   native/build.sh BUILD_DIR RESOURCE_DIR
#
# BUILD_DIR is the CMake build directory (core/target/native under Maven); the library is copied into
# RESOURCE_DIR/<os>-<arch>/ (RESOURCE_DIR is .../classes/dev/elfz/native under Maven), with os one of
# linux, mac, windows and arch one of x86_64, aarch64 (else what uname -m says).
# ELFZ_NATIVE=false (mvn -Delfz.native=false), or no cmake on the PATH, builds nothing and exits 0:
# the Java kernel serves then. Under CI (CI=true) no cmake is an error: a CI run must test the native kernel.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR RESOURCE_DIR" >&2
  exit 2
fi
build_dir=$1
resource_dir=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case "$(uname -s)" in
  Linux*) os=linux ;;
  Darwin*) os=mac ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
  *) os=$(uname -s | tr '[:upper:]' '[:lower:]') ;;
esac
case "$(uname -m)" in
  x86_64 | amd64 | AMD64) arch=x86_64 ;;
  aarch64 | arm64 | ARM64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
dest="$resource_dir/$os-$arch"
libs=(libelfz.so libelfz.dylib elfz.dll libelfz.dll)

skip() {
  # A library left by an earlier build would otherwise still be packaged.
  for lib in "${libs[@]}"; do rm -f "$dest/$lib"; done
  echo "elfz: $1, building without the native kernel; the Java kernel will serve"
  exit 0
}

case "${ELFZ_NATIVE:-true}" in
  false | no | off | 0) skip "native build turned off (elfz.native=${ELFZ_NATIVE})" ;;
esac
if ! command -v cmake >/dev/null 2>&1; then
  if [[ ${CI:-false} == true ]]; then
    echo "elfz: CI=true but cmake is not on the PATH: the native kernel cannot be built and tested" >&2
    exit 1
  fi
  skip "cmake not found"
fi

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j2

for lib in "${libs[@]}"; do
  if [[ -f "$build_dir/$lib" ]]; then
    mkdir -p "$dest"
    cp -f "$build_dir/$lib" "$dest/$lib"
    echo "elfz: native kernel $dest/$lib"
    exit 0
  fi
done
echo "elfz: the CMake build made no libelfz in $build_dir" >&2
exit 1
