#!/usr/bin/env bash
# Runs the C tests (ctest) of a build made by native/build.sh.
#
#   native/test.sh BUILD_DIR
#
# Exits 0 with one line when there is nothing to test: ELFZ_SKIP_TESTS=true, ELFZ_NATIVE=false, or no
# CMake build in BUILD_DIR (native build skipped).
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
if [[ ! -f "$build_dir/CTestTestfile.cmake" ]]; then
  echo "elfz: no native build in $build_dir, C tests not run"
  exit 0
fi
if ! command -v ctest >/dev/null 2>&1; then
  echo "elfz: ctest not found, C tests not run"
  exit 0
fi

cd "$build_dir"
exec ctest --output-on-failure
