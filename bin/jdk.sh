# Sourced by bin/elfz, .ci/run and benchmarks/run.sh: finds a JDK >= 25 without any manual export.
# find_jdk prints its home: $JAVA_HOME if that is >= 25, else the `java` on PATH if >= 25, else the
# highest one under /usr/lib/jvm (or macOS's JavaVirtualMachines); it fails when there is none.
# jdk_major HOME prints that JDK's major version (0 when HOME holds no java).

# Major version of the JDK at home $1, or 0: from its release file if it has one, else from java -version.
jdk_major() {
  local v="" line
  [[ -x $1/bin/java ]] || { echo 0; return; }
  if [[ -f $1/release ]]; then # read in the shell itself: bin/elfz runs this for every JDK, on every start
    while IFS= read -r line; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
        v=${BASH_REMATCH[1]}
        break
      fi
    done <"$1/release"
  fi
  if [[ -z $v ]]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "${v:-0}"
}

find_jdk() {
  local home best="" best_major=0 m
  if [[ -n ${JAVA_HOME:-} ]] && (($(jdk_major "$JAVA_HOME") >= 25)); then
    echo "$JAVA_HOME"
    return
  fi
  if home=$(command -v java 2>/dev/null); then
    home=$(cd -P "$(dirname "$(readlink -f "$home" 2>/dev/null || echo "$home")")/.." && pwd)
    if (($(jdk_major "$home") >= 25)); then
      echo "$home"
      return
    fi
  fi
  for home in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    m=$(jdk_major "$home")
    if ((m >= 25 && m > best_major)); then
      best=$home
      best_major=$m
    fi
  done
  [[ -n $best ]] && echo "$best"
}
