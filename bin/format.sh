#!/usr/bin/env bash
# Formats the sources in place, or checks them: Java with Spotless (palantir-java-format, configured in
# pom.xml; generated bindings left alone), C under native/ with clang-format (.clang-format).
#
#   bin/format.sh [--check] [java] [c]
#
# With no language, both. --check changes nothing and exits 1 when a file is not formatted; `mvn verify`
# runs `bin/format.sh --check c` (and Spotless's own check for Java). Without clang-format, the C check
# says so and passes, except under CI=true, where .ci/run installs it (Debian package clang-format).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

check=false
langs=()
for arg in "$@"; do
  case $arg in
    --check) check=true ;;
    java | c) langs+=("$arg") ;;
    *)
      echo "usage: $0 [--check] [java] [c]" >&2
      exit 2 ;;
  esac
done
((${#langs[@]})) || langs=(java c)

# Spotless runs the formatter inside Maven's JVM, which must parse Java 25: Maven runs on the JDK that
# bin/jdk.sh finds, whatever the default java is.
format_java() {
  # shellcheck source=bin/jdk.sh
  source bin/jdk.sh
  local jdk
  if ! jdk=$(find_jdk); then
    echo "format: no JDK 25 or newer found (\$JAVA_HOME, PATH, /usr/lib/jvm)" >&2
    return 1
  fi
  local goal=apply
  $check && goal=check
  # Maven's own libraries use sun.misc.Unsafe, which JDK 25 warns about at every start.
  JAVA_HOME=$jdk MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
    mvn -B -q "spotless:$goal" -Delfz.format.skip=false
}

format_c() {
  local files
  mapfile -t files < <(find native/include native/src native/test -name '*.[ch]' | sort)
  if ! command -v clang-format >/dev/null 2>&1; then
    if ! $check || [[ ${CI:-} == true ]]; then
      echo "format: clang-format not found (Debian package clang-format)" >&2
      return 1
    fi
    echo "format: WARNING: clang-format not found (Debian package clang-format): C style NOT checked" >&2
    return 0
  fi
  if ! $check; then
    clang-format -i "${files[@]}"
    return
  fi
  local f bad=()
  for f in "${files[@]}"; do
    clang-format "$f" | cmp -s "$f" - || bad+=("$f")
  done
  ((${#bad[@]})) || return 0
  echo "format: ${#bad[@]} C file(s) not formatted ($(clang-format --version)); bin/format.sh c fixes them:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  clang-format "${bad[0]}" | diff -u "${bad[0]}" - | head -n 30 >&2
  return 1
}

for lang in "${langs[@]}"; do
  "format_$lang"
done
