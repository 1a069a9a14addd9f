#!/usr/bin/env bash
# Runs the C tests (ctest) of a build made by native/build.sh.
#
#   native/test.sh BUILD_DIR
#
# Exits 0 with one line when there is nothing to test: ELFZ_SKIP_TESTS=true, ELFZ_NATIVE=false, or no
# CMake build in BUILD_DIR (native build skipped); under CI (CI=true) a missing build or ctest is an error instead.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$1

if [[ ${ELFZ_SKIP_TESTS:-false} == true ]]; then
  echo "elfz: tests skipped, C tests not run"
  exit 0
fi
case "${ELFZ_NATIVE:-true}" in
  false | no | off | 0)
    echo "elfz: native build turned off (elfz.native=${ELFZ_NATIVE}), C tests not run"
    exit 0 ;;
esac
missing() {
  if [[ ${CI:-false} == true ]]; then
    echo "elfz: CI=true but $1: the C tests cannot run" >&2
    exit 1
  fi
  echo "elfz: $1, C tests not run"
  exit 0
}
[[ -f "$build_dir/CTestTestfile.cmake" ]] || missing "no native build in $build_dir"
command -v ctest >/dev/null 2>&1 || missing "ctest not found"

cd "$build_dir"
exec ctest --output-on-failure
