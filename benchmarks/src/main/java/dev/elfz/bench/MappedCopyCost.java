package dev.elfz.bench;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.io.Pages;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * What reading mapped inputs through a private copy of each chunk costs, in CPU time of this thread (steadier than
 * wall time on a shared machine), 1 MiB at a time: copying FILE out of a mapping whose pages stay mapped; out of a
 * fresh mapping each round, each part's pages mapped in one call before the copy and let go after it, as a reader
 * keeping its resident memory flat does ({@link Pages#populate}, {@link Pages#releaseTouched}); by positional reads
 * (pread) into the same buffer. Against {@code Elfz.compress} and {@code decompress} with one thread (which run on
 * this thread), ELF, medians of ROUNDS after a warm-up round. Compress and decompress go through the library's public
 * API: with this module's classes ahead of an older build's jar on the class path, it measures that build.
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
        ElfzOptions o =
                ElfzOptions.defaults().withCodec(CodecChoice.ELF).withThreads(1).withOverwrite(true);
        double[] copy = new double[rounds];
        double[] fresh = new double[rounds];
        double[] pread = new double[rounds];
        double[] c = new double[rounds];
        double[] d = new double[rounds];
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(in, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            MemorySegment buffer = arena.allocate(1 << 20, 64);
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                long t0 = CPU.getCurrentThreadCpuTime();
                for (long at = 0; at < file.byteSize(); at += buffer.byteSize()) {
                    MemorySegment.copy(file, at, buffer, 0, Math.min(buffer.byteSize(), file.byteSize() - at));
                }
                long f0 = CPU.getCurrentThreadCpuTime();
                try (Arena mapping = Arena.ofConfined()) {
                    MemorySegment again = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), mapping);
                    for (long at = 0; at < again.byteSize(); at += buffer.byteSize()) {
                        MemorySegment part = again.asSlice(at, Math.min(buffer.byteSize(), again.byteSize() - at));
                        Pages.populate(part);
                        MemorySegment.copy(part, 0, buffer, 0, part.byteSize());
                        Pages.releaseTouched(part);
                    }
                }
                long f1 = CPU.getCurrentThreadCpuTime();
                for (long at = 0; at < file.byteSize(); at += buffer.byteSize()) {
                    ByteBuffer b = buffer.asSlice(0, Math.min(buffer.byteSize(), file.byteSize() - at))
                            .asByteBuffer();
                    while (b.hasRemaining()) {
                        ch.read(b, at + b.position());
                    }
                }
                long f2 = CPU.getCurrentThreadCpuTime();
                long t1 = CPU.getCurrentThreadCpuTime();
                Elfz.compress(in, z, o);
                long t2 = CPU.getCurrentThreadCpuTime();
                Elfz.decompress(z, back, o);
                long t3 = CPU.getCurrentThreadCpuTime();
                if (r >= 0) {
                    copy[r] = (f0 - t0) / 1e9;
                    fresh[r] = (f1 - f0) / 1e9;
                    pread[r] = (f2 - f1) / 1e9;
                    c[r] = (t2 - t1) / 1e9;
                    d[r] = (t3 - t2) / 1e9;
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%s, %.0f MB, CPU seconds of this thread (MB per CPU second), median of %d:%n",
                in.getFileName(),
                mb,
                rounds);
        print("copy out of the mapping, 1 MiB at a time", ContainerThroughput.median(copy), mb);
        print("the same, fresh mapping, pages let go", ContainerThroughput.median(fresh), mb);
        print("positional reads (pread), 1 MiB at a time", ContainerThroughput.median(pread), mb);
        print("compress, elf, -T1", ContainerThroughput.median(c), mb);
        print("decompress, -T1", ContainerThroughput.median(d), mb);
        Files.deleteIfExists(z);
        Files.deleteIfExists(back);
    }

    private static void print(String what, double seconds, double mb) {
        System.out.printf(Locale.ROOT, "%-41s %.3f (%.0f)%n", what + ":", seconds, mb / seconds);
    }
}
