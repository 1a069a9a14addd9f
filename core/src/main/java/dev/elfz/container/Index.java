package dev.elfz.container;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.elfz.FileKind;
import dev.elfz.InputKind;
import dev.elfz.io.FileNames;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The JSON index at the end of an .elfz file (FORMAT.md, "Index"), as records. Fields a kind does not use are
 * null and left out of the JSON. Parsing only builds the records; {@link IndexCheck} validates them.
 */
final class Index {

    private Index() {}

    // The kinds as the index spells them: the ids of the API's enums.
    static final String KIND_FILE = InputKind.FILE.id();
    static final String KIND_DIRECTORY = InputKind.DIRECTORY.id();
    static final String KIND_SAFETENSORS = FileKind.SAFETENSORS.id();
    static final String KIND_BLOB = FileKind.BLOB.id();
    /** Since format 2.1. */
    static final String KIND_ONNX = FileKind.ONNX.id();
    /** Since format 2.2: an external data file of an onnx file, its initializers at their offsets. */
    static final String KIND_ONNX_DATA = FileKind.ONNX_DATA.id();
    /** Since format 2.4: a PyTorch zip checkpoint, its storages at their offsets. */
    static final String KIND_TORCH = FileKind.TORCH.id();
    /** Since format 2.4: a GGUF file, its tensors' data at their offsets. */
    static final String KIND_GGUF = FileKind.GGUF.id();

    /** Kinds stored as tensors at offsets of the file and the skeleton between them. */
    static boolean skeletal(String kind) {
        return KIND_ONNX.equals(kind)
                || KIND_ONNX_DATA.equals(kind)
                || KIND_TORCH.equals(kind)
                || KIND_GGUF.equals(kind);
    }

    /**
     * @param input {@link #KIND_FILE} (one file compressed) or {@link #KIND_DIRECTORY} (a model directory)
     * @param files in the order they were stored; relative paths with '/' for a directory
     */
    public record Archive(String createdBy, String input, List<FileEntry> files, Base base) {}

    /**
     * The model the archive's delta tensors are stored against (since 2.6).
     *
     * @param input {@link #KIND_FILE} or {@link #KIND_DIRECTORY}, as the base was given
     * @param files the base's files holding paired tensors: path (relative, '/'-separated) and size
     */
    public record Base(String input, List<BaseFile> files) {}

    public record BaseFile(String path, long size) {}

    /**
     * A tensor stored as its difference with a base tensor (since 2.6): its stream holds the delta, its
     * {@code crc32c} the tensor's own bytes.
     *
     * @param op {@link #XOR}: the bit patterns' XOR; {@link #SUB} (since 2.7): the values' difference, lossy
     * @param file the base file holding the base tensor (one of {@link Base#files()})
     * @param tensor the base tensor's name
     * @param xxh3 XXH3-128 of the base tensor's bytes, 32 lowercase hex digits
     */
    public record Delta(String op, String file, String tensor, String xxh3) {}

    static final String XOR = "xor";
    static final String SUB = "sub";

    /**
     * A file of the input.
     *
     * @param path its relative path, '/'-separated; when its bytes are not UTF-8, each byte that is no part of a UTF-8
     *     sequence shows as U+FFFD (for people and older readers: two such paths can look alike) and {@code pathBytes}
     *     holds the bytes
     * @param pathBytes the path's bytes in hex when they are not UTF-8, else null; see {@link #name()}
     * @param kind {@link #KIND_SAFETENSORS}, {@link #KIND_ONNX}, {@link #KIND_ONNX_DATA}, {@link #KIND_TORCH},
     *     {@link #KIND_GGUF} or {@link #KIND_BLOB}
     * @param size its size in bytes
     * @param header safetensors: bytes [0, 8 + N) of the file (length field and JSON header), stored raw
     * @param metadata safetensors: {@code __metadata__}, a copy for readers of the index (the header is what counts)
     * @param tensors safetensors: every tensor in data-offset order; onnx: every initializer payload in file order;
     *     onnx_data: every initializer stored in the file, in file order
     * @param data blob: the file's bytes; onnx, onnx_data, torch, gguf: its skeleton, every byte outside the tensors, in file order
     */
    public record FileEntry(
            String path,
            String pathBytes,
            String kind,
            long size,
            Stream header,
            Map<String, String> metadata,
            List<TensorEntry> tensors,
            Stream data) {

        /** An entry for the file of this exact name ({@link FileNames}): path and pathBytes made from it. */
        static FileEntry of(
                String name,
                String kind,
                long size,
                Stream header,
                Map<String, String> metadata,
                List<TensorEntry> tensors,
                Stream data) {
            return new FileEntry(
                    FileNames.display(name), FileNames.hexIfRaw(name), kind, size, header, metadata, tensors, data);
        }

        /**
         * The exact name ({@link FileNames}: bytes that are not UTF-8 as U+DC80..U+DCFF): unique in an archive, what
         * files are written as and looked up by.
         *
         * @throws IllegalArgumentException when pathBytes is not hex
         */
        public String name() {
            return pathBytes == null ? path : FileNames.fromBytes(HexFormat.of().parseHex(pathBytes));
        }
    }

    /**
     * @param offset where the tensor's bytes begin in the data buffer (its data_offsets[0]); onnx, onnx_data: in the file
     * @param data the tensor's bytes: {@code data.size()} is dtype size x elements
     */
    public record TensorEntry(String name, String dtype, long[] shape, long offset, Stream data, Delta delta) {}

    /**
     * A run of bytes cut into chunks of {@code chunkBytes} (the last one shorter), each coded with
     * {@code codec} or stored as it is.
     *
     * @param entropy the entropy stage behind the codec ({@code "huffman"}), or null for none (raw streams)
     * @param crc32c of the original bytes, present when every chunk is stored or coded losslessly
     * @param exceptions values kept exactly by ELF or grid (also as pruning's inner codec), or null for the other codecs
     * @param chunks per chunk: {offset in the file, stored length, CRC32C of the stored bytes, 1 if coded else 0}
     */
    public record Stream(
            String codec,
            Map<String, Object> params,
            String entropy,
            long size,
            long chunkBytes,
            Long crc32c,
            Long exceptions,
            long[][] chunks) {

        public static final int OFFSET = 0;
        public static final int LENGTH = 1;
        public static final int CRC = 2;
        public static final int CODED = 3;

        /** Original bytes of chunk {@code i}. */
        public long chunkSize(int i) {
            return Math.min(chunkBytes, size - i * chunkBytes);
        }

        /** Bytes this stream takes in the file. */
        public long storedBytes() {
            long sum = 0;
            for (long[] c : chunks) {
                sum += c[LENGTH];
            }
            return sum;
        }
    }

    /** Compact JSON, snake_case names, absent fields left out; strict on input like the safetensors reader. */
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNameLength(1 << 20)
                            .maxNumberLength(64)
                            .build())
                    .build())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // FORMAT.md's integers are JSON integers: no "1221", 1221.0, 1221e0 or true where a number belongs,
            // no number where a string does.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(
                    LogicalType.Textual,
                    c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            // Minor versions may add fields; a reader of the same major version skips what it does not know.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
}
