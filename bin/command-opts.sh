# shellcheck shell=bash
# The JVM options a command runs with, shared by the launchers (bin/elfz in the sources, bin/elfz of the
# distribution, which ships this file beside it). Usage: command_opts "$ELFZ_JAVA_OPTS" COMMAND; sets the array fast.
#
# Commands whose work per value is all in the C kernel (compress, decompress, info, --version, --help) are over before
# C2's code would pay back: the C1 compiler alone takes 35-45% off their CPU time (C2 compiled the start-up's code at
# a quarter to a third of the process's CPU), and the serial collector starts no GC threads for their small heap.
# verify, analyze, eval, sweep and demo run Java loops over every value and keep the JVM's defaults. ELFZ_JAVA_OPTS
# comes after these (a later -XX:TieredStopAtLevel wins); a collector chosen there replaces the serial one. The
# start-up cache serves both.
command_opts() {
  fast=()
  case ${2:-} in
    compress | decompress | info | --version | -V | --help | -h | '')
      fast=(-XX:TieredStopAtLevel=1 -XX:-UsePerfData)
      [[ $1 == *GC* ]] || fast+=(-XX:+UseSerialGC)
      ;;
  esac
}
