package dev.elfz.bench;

import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.codec.CodecChoice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * What reading mapped inputs through a private copy of each chunk costs, in CPU time of this thread (steadier than
 * wall time on a shared machine): copying FILE out of its mapping 1 MiB at a time, against {@code Elfz.compress} and
 * {@code decompress} with one thread (which run on this thread), ELF, medians of ROUNDS after a warm-up round.
 * It uses only the public API, so it runs against any build of the library.
 *
 * <pre>MappedCopyCost FILE.safetensors WORKDIR ROUNDS</pre>
 */
public final class MappedCopyCost {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private MappedCopyCost() {}

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args[0]);
        Path z = Path.of(args[1]).resolve("copycost.elfz");
        Path back = Path.of(args[1]).resolve("copycost.out");
        int rounds = Integer.parseInt(args[2]);
        double mb = Files.size(in) / 1e6;
        ElfzOptions o = ElfzOptions.defaults().withCodec(CodecChoice.ELF).withThreads(1).withOverwrite(true);
        double[] copy = new double[rounds];
        double[] c = new double[rounds];
        double[] d = new double[rounds];
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(in, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            MemorySegment buffer = arena.allocate(1 << 20, 64);
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                long t0 = CPU.getCurrentThreadCpuTime();
                for (long at = 0; at < file.byteSize(); at += buffer.byteSize()) {
                    MemorySegment.copy(file, at, buffer, 0, Math.min(buffer.byteSize(), file.byteSize() - at));
                }
                long t1 = CPU.getCurrentThreadCpuTime();
                Elfz.compress(in, z, o);
                long t2 = CPU.getCurrentThreadCpuTime();
                Elfz.decompress(z, back, o);
                long t3 = CPU.getCurrentThreadCpuTime();
                if (r >= 0) {
                    copy[r] = (t1 - t0) / 1e9;
                    c[r] = (t2 - t1) / 1e9;
                    d[r] = (t3 - t2) / 1e9;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s, %.0f MB, CPU seconds of this thread (MB per CPU second), median of %d:%n",
                in.getFileName(), mb, rounds);
        System.out.printf(Locale.ROOT, "copy out of the mapping, 1 MiB at a time: %.3f (%.0f)%n", median(copy),
                mb / median(copy));
        System.out.printf(Locale.ROOT, "compress, elf, -T1:                       %.3f (%.0f)%n", median(c), mb / median(c));
        System.out.printf(Locale.ROOT, "decompress, -T1:                          %.3f (%.0f)%n", median(d), mb / median(d));
        Files.deleteIfExists(z);
        Files.deleteIfExists(back);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
