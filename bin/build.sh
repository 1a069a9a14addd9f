# shellcheck shell=bash
# Sourced by the launchers that run from the sources (bin/elfz, bin/elfz-spark): the build when a jar is missing or
# older than its sources. Needs bin/jdk.sh sourced first (jdk_major).
#
# newer_than JAR PATH...: true when JAR is missing or a regular file under the PATHs is newer than it.
# build_when_stale LOCK LOG NAME STALE JDK MAVEN_ARG...: when the function STALE says so, runs Maven (mvn -B -q
#   MAVEN_ARG...) with the toolchain pointed at JDK, holding the lock file LOCK (another launcher may be building:
#   STALE is asked again once the lock is held), its output in LOG, printed with one line naming NAME when it
#   fails (then exits 1). STALE's first argument is "touch" after a build: touch the jar (Maven leaves a jar whose
#   content did not change as old as it was).

newer_than() {
  local jar=$1
  shift
  [[ -f $jar ]] || return 0
  [[ -n $(find "$@" -newer "$jar" -type f -print -quit 2>/dev/null) ]]
}

build_when_stale() {
  local lock=$1 log=$2 name=$3 stale=$4 jdk=$5
  shift 5
  "$stale" || return 0
  if ! command -v mvn >/dev/null 2>&1; then
    echo "$name: building needs Maven (mvn) on the PATH" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$lock")"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$lock"
    flock 9
  fi
  if "$stale"; then
    [[ -t 2 ]] && echo "$name: building (mvn package), once after every change to the sources..." >&2
    # Maven may run on any JDK: its toolchain (the parent pom) finds a JDK >= 25, which this JAVA<major>_HOME
    # makes sure it sees even when it lives outside the usual places.
    if ! env "JAVA$(jdk_major "$jdk")_HOME=$jdk" mvn -B -q "$@" >"$log" 2>&1; then
      cat "$log" >&2
      echo >&2 # Maven 3.8's -q output ends without a newline
      echo "$name: the build failed (mvn -B $*; output above and in $log)" >&2
      exit 1
    fi
    "$stale" touch
  fi
  exec 9>&-
}
