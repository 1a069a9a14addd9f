# Sourced by bin/elfz, .ci/run and benchmarks/run.sh: finds a JDK >= 25 without any manual export.
# find_jdk prints its home: $JAVA_HOME if that is >= 25, else the `java` on PATH if >= 25, else the
# highest one under /usr/lib/jvm (or macOS's JavaVirtualMachines); it fails when there is none.
# jdk_major HOME prints that JDK's major version (0 when HOME holds no java).
# locate_jdk and read_jdk_major do the same into the variables jdk_home and jdk_version, in this shell: bin/elfz runs
# them on every start, where each command substitution is a process.

# Sets jdk_version to the major version of the JDK at home $1, or 0: from its release file if it has one, else from
# java -version.
read_jdk_major() {
  local line
  jdk_version=""
  [[ -x $1/bin/java ]] || { jdk_version=0; return; }
  if [[ -f $1/release ]]; then # read in the shell itself
    while IFS= read -r line; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
        jdk_version=${BASH_REMATCH[1]}
        break
      fi
    done <"$1/release"
  fi
  if [[ -z $jdk_version ]]; then
    jdk_version=$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  jdk_version=${jdk_version:-0}
}

jdk_major() {
  local jdk_version
  read_jdk_major "$1"
  echo "$jdk_version"
}

# Sets jdk_home (and jdk_version, its major version); fails when there is no JDK >= 25.
locate_jdk() {
  local home real best="" best_major=0
  jdk_home=""
  if [[ -n ${JAVA_HOME:-} ]]; then
    read_jdk_major "$JAVA_HOME"
    if ((jdk_version >= 25)); then
      jdk_home=$JAVA_HOME
      return
    fi
  fi
  if home=$(command -v java 2>/dev/null); then
    if real=$(readlink -f "$home" 2>/dev/null); then # .../bin/java, every link resolved
      home=${real%/*}
      home=${home%/*}
    else
      home=$(cd -P "${home%/*}/.." && pwd)
    fi
    read_jdk_major "$home"
    if ((jdk_version >= 25)); then
      jdk_home=$home
      return
    fi
  fi
  for home in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    read_jdk_major "$home"
    if ((jdk_version >= 25 && jdk_version > best_major)); then
      best=$home
      best_major=$jdk_version
    fi
  done
  jdk_version=$best_major
  [[ -n $best ]] && jdk_home=$best
}

find_jdk() {
  local jdk_home jdk_version
  locate_jdk && echo "$jdk_home"
}
