#!/usr/bin/env bash
# Makes elfz's ahead-of-time cache (JDK 25 or newer): one training run (dev.elfz.cli.AotTraining: --version, every
# command's --help, then compress, info, verify, analyze and decompress of a small generated model; a few seconds),
# whose loaded and linked classes and method profiles the JDK writes to OUTPUT. OUTPUT appears whole, or not at all
# when the training or the dump fails (elfz then starts as it would without a cache).
#
#   bin/aot-cache.sh OUTPUT JAVA [JVM OPTIONS...] -cp CLASSPATH
#
# JAVA, the options and the class path must be exactly those of the runs that will use the cache (bin/elfz passes its
# own; a distribution's launcher passes its runtime's): the JVM ignores a cache made with another class path or JDK.
set -euo pipefail
if (($# < 2)); then
  echo "usage: bin/aot-cache.sh OUTPUT JAVA [JVM OPTIONS...] -cp CLASSPATH" >&2
  exit 2
fi
out=$1
shift
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
# shellcheck disable=SC2054 # the commas belong to -Xlog's syntax
if ! "$@" -XX:AOTCacheOutput="$tmp" -Xlog:aot=off,cds=off dev.elfz.cli.AotTraining >/dev/null 2>&1 || [[ ! -s $tmp ]]; then
  echo "aot-cache.sh: the training run failed; no cache written ($*)" >&2
  exit 1
fi
mv -f "$tmp" "$out"
