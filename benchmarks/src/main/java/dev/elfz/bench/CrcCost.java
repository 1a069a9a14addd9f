package dev.elfz.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * What the per-chunk checksum costs: CPU seconds per GB of the JDK's CRC32C (the one every chunk and lossless stream
 * is checked with), 1 MiB at a time, over 512 MiB (from memory) and over one MiB again and again (in cache, as a chunk
 * just copied or decoded is). CPU time of the thread, steadier than wall time on a shared machine; best of ROUNDS.
 *
 * <pre>CrcCost [ROUNDS]</pre>
 */
public final class CrcCost {

    private CrcCost() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        int mib = 1 << 20;
        ByteBuffer big = ByteBuffer.allocateDirect(512 * mib);
        for (int i = 0; i < big.capacity(); i += 4096) {
            big.put(i, (byte) i);
        }
        double gb = big.capacity() / 1e9;
        double cold = Double.MAX_VALUE;
        double hot = Double.MAX_VALUE;
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            CRC32C c = new CRC32C();
            long t0 = cpu.getCurrentThreadCpuTime();
            for (int off = 0; off < big.capacity(); off += mib) {
                c.update(big.slice(off, mib));
            }
            long t1 = cpu.getCurrentThreadCpuTime();
            for (int k = 0; k < 512; k++) {
                c.update(big.slice(0, mib));
            }
            long t2 = cpu.getCurrentThreadCpuTime();
            sink += c.getValue();
            cold = Math.min(cold, (t1 - t0) / 1e9 / gb);
            hot = Math.min(hot, (t2 - t1) / 1e9 / gb);
        }
        System.out.printf(
                Locale.ROOT,
                "CRC32C, CPU seconds per GB: %.3f from memory, %.3f in cache (best of %d; %d)%n",
                cold,
                hot,
                rounds,
                sink & 1);
    }
}
