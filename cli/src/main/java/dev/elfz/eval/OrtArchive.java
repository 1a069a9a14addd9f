package dev.elfz.eval;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.elfz.ElfzException;
import dev.elfz.container.Archive;
import dev.elfz.container.OnnxInMemory;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ONNX Runtime session straight from an .elfz archive of an ONNX model, with no file written: the model is decoded
 * into off-heap memory ({@link OnnxInMemory}) and handed to ONNX Runtime, which copies what it keeps, so the memory is
 * freed once the session exists.
 *
 * <ul>
 *   <li>The model file (its graph and every initializer it holds inline; a protobuf file, so below 2 GiB) goes in as
 *       one direct {@link ByteBuffer} ({@code OrtEnvironment.createSession(ByteBuffer, SessionOptions)}: no copy on
 *       the Java heap).
 *   <li>Each initializer the model keeps in external data (how every model over 2 GiB is stored) goes in as a tensor
 *       over its own decoded memory ({@code SessionOptions.addExternalInitializers}, ONNX Runtime 1.12 and later), in
 *       place of the file ONNX Runtime would read. ONNX Runtime's Java API takes a tensor as a {@code ByteBuffer}, so
 *       one initializer may hold at most 2 GiB - 1 bytes; the model as a whole has no such bound.
 * </ul>
 *
 * <pre>{@code
 * try (OrtSession s = OrtArchive.open(Path.of("minilm.onnx.elfz"))) {
 *     OrtSession.Result r = s.run(inputs);
 * }
 * }</pre>
 */
public final class OrtArchive {

    /** Sets the options of a session before it is made (threads, execution providers, log level ...). */
    @FunctionalInterface
    public interface Configure {
        void accept(OrtSession.SessionOptions options) throws OrtException;
    }

    private OrtArchive() {}

    /** A session with ONNX Runtime's default options, decoded with the best kernel on every core. */
    public static OrtSession open(Path archive) throws IOException, OrtException {
        return open(OrtEnvironment.getEnvironment(), archive, o -> {});
    }

    /**
     * A session with options of the caller's: {@code configure} sets them on options made for this session alone (the
     * external initializers added to them point into memory freed once the session exists, so they are closed here,
     * never reused).
     *
     * @throws ElfzException when the file is not an .elfz archive of one ONNX model, or is damaged
     * @throws OrtException when ONNX Runtime refuses the model
     */
    public static OrtSession open(OrtEnvironment env, Path archive, Configure configure)
            throws IOException, OrtException {
        return open(env, archive, Kernels.best(), Runtime.getRuntime().availableProcessors(), configure);
    }

    /** {@link #open(OrtEnvironment, Path, Configure)} decoding with this kernel on this many threads. */
    public static OrtSession open(OrtEnvironment env, Path archive, Kernel kernel, int threads, Configure configure)
            throws IOException, OrtException {
        try (Archive r = Archive.open(archive, kernel)) {
            return open(env, r, threads, configure, () -> {});
        }
    }

    /** The session of an open archive; {@code decoded} runs once the model is in memory (eval times the decoding). */
    static OrtSession open(OrtEnvironment env, Archive r, int threads, Configure configure, Runnable decoded)
            throws IOException, OrtException {
        try (Arena arena = Arena.ofShared();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            configure.accept(options);
            OnnxInMemory.Model model = OnnxInMemory.read(r, threads, arena);
            decoded.run();
            Map<String, OnnxTensor> external = new LinkedHashMap<>();
            try {
                for (OnnxInMemory.Initializer i : model.external()) {
                    external.put(i.name(), tensor(env, r.path(), i));
                }
                options.addExternalInitializers(new LinkedHashMap<String, OnnxTensorLike>(external));
                return env.createSession(buffer(model.file()), options);
            } finally {
                external.values().forEach(OnnxTensor::close);
            }
        }
    }

    /** A tensor over the initializer's decoded bytes, not a copy. */
    private static OnnxTensor tensor(OrtEnvironment env, Path archive, OnnxInMemory.Initializer i)
            throws ElfzException, OrtException {
        OnnxJavaType type = switch (i.dtype()) {
            case F32 -> OnnxJavaType.FLOAT;
            case F64 -> OnnxJavaType.DOUBLE;
            case F16 -> OnnxJavaType.FLOAT16;
            case BF16 -> OnnxJavaType.BFLOAT16;
            case I8 -> OnnxJavaType.INT8;
            case U8 -> OnnxJavaType.UINT8;
            case I16 -> OnnxJavaType.INT16;
            case I32 -> OnnxJavaType.INT32;
            case I64 -> OnnxJavaType.INT64;
            case BOOL -> OnnxJavaType.BOOL;
            default -> null;
        };
        if (type == null) {
            throw new ElfzException(
                    archive,
                    "initializer \"" + i.name() + "\" is " + i.dtype()
                            + ", which ONNX Runtime's Java API cannot take as a tensor");
        }
        if (i.bytes().byteSize() > Integer.MAX_VALUE) {
            throw new ElfzException(
                    archive,
                    "initializer \"" + i.name() + "\" is " + i.bytes().byteSize()
                            + " bytes; ONNX Runtime's Java API takes a tensor of at most 2 GiB - 1 bytes");
        }
        return OnnxTensor.createTensor(env, buffer(i.bytes()), i.shape(), type);
    }

    private static ByteBuffer buffer(MemorySegment bytes) {
        return bytes.asByteBuffer().order(ByteOrder.nativeOrder());
    }
}
