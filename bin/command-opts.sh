# shellcheck shell=bash
# The JVM options a command runs with, shared by the launchers (bin/elfz in the sources, bin/elfz of the
# distribution, which ships this file beside it). Usage: command_opts "$ELFZ_JAVA_OPTS" COMMAND; sets the array
# jvm_opts. ELFZ_JAVA_OPTS comes after these on the command line, so the user's choices win (a later
# -XX:TieredStopAtLevel or -XX:MaxNewSize replaces these; a collector named there replaces the serial one).
command_opts() {
  # The commands stream chunks through a few buffers and keep little on the heap, but G1 grows the heap (and with it
  # the young generation every allocation walks through) when its pauses look long, as they do on a loaded machine:
  # a 16 GB decompression reached 448 MB resident that way. A bound on the young generation keeps the resident
  # memory flat in file size.
  jvm_opts=(-XX:MaxNewSize=64m)
  # Commands whose work per value is all in the C kernel (compress, decompress, info, --version, --help) are over
  # before C2's code would pay back: the C1 compiler alone takes 35-45% off their CPU time (C2 compiled the
  # start-up's code at a quarter to a third of the process's CPU), and the serial collector starts no GC threads for
  # their small heap. verify, analyze, eval, sweep and demo run Java loops over every value and keep the JVM's
  # compilers. The start-up cache serves both.
  case ${2:-} in
    compress | decompress | info | --version | -V | --help | -h | '')
      jvm_opts+=(-XX:TieredStopAtLevel=1 -XX:-UsePerfData)
      [[ $1 == *GC* ]] || jvm_opts+=(-XX:+UseSerialGC)
      ;;
  esac
}
