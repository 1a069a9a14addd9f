package dev.elfz;

import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How to compress or decompress; immutable, start from {@link #defaults()}.
 *
 * @param codec which codec each tensor gets (default {@link CodecChoice#AUTO})
 * @param threads worker threads (default: every core); 1 runs everything on the calling thread
 * @param overwrite replace an existing output (default: an existing output is an error)
 * @param chunkBytes input bytes per chunk (default 1 MiB), rounded down to whole values
 * @param kernel the kernel the codecs run on (default {@link Kernels#best()})
 * @param progress told how far the work is (default: nothing)
 * @param lossy quantization and pruning settings (default: none)
 * @param errorBound an absolute error bound for every float tensor the codec choice does not quantize, or NaN for
 *     none (default); see {@link ErrorBound}. Only with the AUTO, UNIFORM or KMEANS choices.
 * @param sync decompression forces each output file and its directory to disk (fsync) before the call returns
 *     (default: not, as {@code zstd -d} and {@code cp}: every output still appears whole or not at all under its
 *     name, but a power cut or an operating system crash soon after may lose what the kernel had not written yet)
 * @param base the model a fine-tune is stored against, or null for none (default): compression codes each tensor
 *     paired with one of the base's (same name, dtype and shape) as its XOR with it when that is smaller, and
 *     decompression, verification and readers of such an archive need the same base (a safetensors file, an ONNX
 *     model, a model directory or an .elfz archive of one)
 */
public record ElfzOptions(
        CodecChoice codec,
        int threads,
        boolean overwrite,
        long chunkBytes,
        Kernel kernel,
        Progress progress,
        LossyOptions lossy,
        double errorBound,
        boolean sync,
        Path base) {

    public static final long DEFAULT_CHUNK_BYTES = 1 << 20;
    /** Chunks stay under 1 GiB: one ByteBuffer, one write, u32 positions. */
    public static final long MAX_CHUNK_BYTES = 1 << 30;

    public ElfzOptions {
        if (codec == null || kernel == null || progress == null || lossy == null) {
            throw new NullPointerException("codec, kernel, progress and lossy are required");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        if (chunkBytes < 64 || chunkBytes > MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size must be between 64 bytes and 1 GiB, not " + chunkBytes);
        }
        if (base != null
                && (lossy.prunes()
                        || (codec != CodecChoice.AUTO && codec != CodecChoice.LOSSLESS && codec != CodecChoice.ELF))) {
            String what = lossy.prunes() ? "pruning" : "codec " + codec.name().toLowerCase(Locale.ROOT);
            throw new IllegalArgumentException(
                    "a base stores fine-tunes as deltas coded losslessly, by elf or within an"
                            + " error bound: it does not combine with " + what);
        }
        if (!Double.isNaN(errorBound)) {
            if (!(errorBound >= 0) || Double.isInfinite(errorBound)) {
                throw new IllegalArgumentException("the error bound must be a finite number >= 0, not " + errorBound);
            }
            if (codec != CodecChoice.AUTO && codec != CodecChoice.UNIFORM && codec != CodecChoice.KMEANS) {
                throw new IllegalArgumentException(
                        "an error bound picks the codec itself: it does not combine with codec "
                                + codec.name().toLowerCase(Locale.ROOT));
            }
        }
    }

    public static ElfzOptions defaults() {
        return new ElfzOptions(
                CodecChoice.AUTO,
                Runtime.getRuntime().availableProcessors(),
                false,
                DEFAULT_CHUNK_BYTES,
                Kernels.best(),
                Progress.NONE,
                LossyOptions.NONE,
                Double.NaN,
                false,
                null);
    }

    public ElfzOptions withCodec(CodecChoice c) {
        return new ElfzOptions(c, threads, overwrite, chunkBytes, kernel, progress, lossy, errorBound, sync, base);
    }

    public ElfzOptions withThreads(int t) {
        return new ElfzOptions(codec, t, overwrite, chunkBytes, kernel, progress, lossy, errorBound, sync, base);
    }

    public ElfzOptions withOverwrite(boolean o) {
        return new ElfzOptions(codec, threads, o, chunkBytes, kernel, progress, lossy, errorBound, sync, base);
    }

    public ElfzOptions withChunkBytes(long b) {
        return new ElfzOptions(codec, threads, overwrite, b, kernel, progress, lossy, errorBound, sync, base);
    }

    public ElfzOptions withKernel(Kernel k) {
        return new ElfzOptions(codec, threads, overwrite, chunkBytes, k, progress, lossy, errorBound, sync, base);
    }

    public ElfzOptions withProgress(Progress p) {
        return new ElfzOptions(codec, threads, overwrite, chunkBytes, kernel, p, lossy, errorBound, sync, base);
    }

    public ElfzOptions withLossy(LossyOptions l) {
        return new ElfzOptions(codec, threads, overwrite, chunkBytes, kernel, progress, l, errorBound, sync, base);
    }

    public ElfzOptions withErrorBound(double e) {
        return new ElfzOptions(codec, threads, overwrite, chunkBytes, kernel, progress, lossy, e, sync, base);
    }

    public ElfzOptions withSync(boolean s) {
        return new ElfzOptions(codec, threads, overwrite, chunkBytes, kernel, progress, lossy, errorBound, s, base);
    }

    public ElfzOptions withBase(Path b) {
        return new ElfzOptions(codec, threads, overwrite, chunkBytes, kernel, progress, lossy, errorBound, sync, b);
    }

    /** Told, from one thread at a time, how many input (compress) or output (decompress) bytes are done. */
    public interface Progress {
        Progress NONE = new Progress() {};

        /** The work begins: {@code totalBytes} to go. */
        default void start(long totalBytes) {}

        /** {@code bytes} more are done. */
        default void advance(long bytes) {}

        /** A remark for verbose output: a tensor left out of quantization or pruning, and why. */
        default void note(String line) {}

        /** The work ended, well or not. */
        default void end() {}
    }
}
