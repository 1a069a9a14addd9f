package dev.elfz.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.elfz.Dtype;
import dev.elfz.io.InputChangedException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file mapped once, read-only, into its own shared arena: tensors are slices of that mapping
 * (never copied onto the heap; files over 4 GiB work), only the JSON header is read into a byte[].
 * {@link #open} validates everything the reference implementation (huggingface/safetensors) does, and
 * says in one line what is wrong. Safe for concurrent readers; {@link #close} unmaps, after which
 * segments from {@link #data} throw IllegalStateException instead of touching freed memory.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The reference reader's limit on the header length (its MAX_HEADER_SIZE). */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";
    private static final byte[] LFS_POINTER =
            "version https://git-lfs.github.com/spec/v1".getBytes(StandardCharsets.US_ASCII);

    // Strict JSON, as serde_json: duplicate keys and trailing tokens are errors; the limits are the
    // reference's (a whole 100 MB header may be one string), not Jackson's smaller defaults.
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength((int) MAX_HEADER_LENGTH)
                            .maxNameLength((int) MAX_HEADER_LENGTH)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long headerLength;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path,
            Arena arena,
            MemorySegment file,
            long headerLength,
            List<TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.headerLength = headerLength;
        this.tensors = List.copyOf(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        Map<String, TensorInfo> names = new HashMap<>();
        for (TensorInfo t : tensors) {
            names.put(t.name(), t);
        }
        this.byName = names;
    }

    /**
     * Maps and validates a safetensors file.
     *
     * @throws SafetensorsException when the file cannot be read or is not a valid safetensors file
     */
    public static SafetensorsFile open(Path path) throws SafetensorsException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            checkStart(path, ch, size);
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            checkHeaderLength(path, n, size);
            byte[] header = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            Header h = Header.parse(path, header, size - 8 - n);
            return new SafetensorsFile(path, arena, file, n, h.tensors(), h.metadata());
        } catch (SafetensorsException e) {
            arena.close();
            throw e;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(path, "no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path, "cannot read: " + e, e);
        } catch (InternalError e) { // a fault reading the mapping: cut short since its size was read (MappedInput)
            arena.close();
            throw new SafetensorsException(path, InputChangedException.WHAT, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A parsed and validated header.
     *
     * @param tensors in data-offset order
     */
    public record Header(List<TensorInfo> tensors, Map<String, String> metadata) {

        /**
         * Parses the JSON header (the N bytes after the length field) of a file whose data buffer holds
         * {@code bufferBytes} bytes, with every check of {@link #open}.
         */
        public static Header parse(Path path, byte[] header, long bufferBytes) throws SafetensorsException {
            Map<String, String> metadata = new LinkedHashMap<>();
            List<TensorInfo> tensors = parseHeader(path, header, metadata);
            checkLayout(path, tensors, bufferBytes);
            return new Header(List.copyOf(tensors), Collections.unmodifiableMap(metadata));
        }
    }

    /** A git-LFS pointer or a file shorter than the length field, before anything is mapped. */
    private static void checkStart(Path path, FileChannel ch, long size) throws IOException {
        ByteBuffer start = ByteBuffer.allocate((int) Math.min(size, LFS_POINTER.length));
        while (start.hasRemaining() && ch.read(start, start.position()) >= 0) {
            // read(dst, position) may return fewer bytes than asked
        }
        if (Arrays.equals(start.array(), LFS_POINTER)) {
            throw new SafetensorsException(path, "a git-LFS pointer file, not the weights (run git lfs pull)");
        }
        if (size < 8) {
            throw new SafetensorsException(
                    path, "only " + size + " bytes, less than the 8-byte header length: truncated download?");
        }
    }

    private static void checkHeaderLength(Path path, long n, long size) throws SafetensorsException {
        // The field is a u64: a "negative" long is a length over 2^63.
        if (Long.compareUnsigned(n, MAX_HEADER_LENGTH) > 0) {
            throw new SafetensorsException(
                    path,
                    "header length " + Long.toUnsignedString(n) + " exceeds the limit of " + MAX_HEADER_LENGTH
                            + " bytes: not a safetensors file?");
        }
        if (n > size - 8) {
            throw new SafetensorsException(
                    path, "header length " + n + " exceeds the file (" + size + " bytes): truncated download?");
        }
    }

    /** Parses the header: tensors in header order (offsets checked for size only), metadata into {@code metadata}. */
    private static List<TensorInfo> parseHeader(Path path, byte[] header, Map<String, String> metadata)
            throws SafetensorsException {
        if (header.length == 0 || header[0] != '{') {
            throw new SafetensorsException(path, "header does not start with '{': not a safetensors file?");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            // Jackson names its input "[Source: REDACTED (...); line: 1, column: 6]": only the position says something.
            String why = e.getOriginalMessage().replaceAll("\\[Source: [^;\\]]*; ", "[");
            throw new SafetensorsException(path, "header is not valid JSON" + where + ": " + why, e);
        }
        if (!root.isObject()) {
            throw new SafetensorsException(path, "header is JSON " + root.getNodeType() + ", not an object");
        }
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA_KEY)) {
                parseMetadata(path, e.getValue(), metadata);
            } else {
                tensors.add(parseTensor(path, e.getKey(), e.getValue()));
            }
        }
        return tensors;
    }

    /** {@code __metadata__}: a string-to-string map; null means none, as serde reads an absent Option. */
    private static void parseMetadata(Path path, JsonNode node, Map<String, String> metadata)
            throws SafetensorsException {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new SafetensorsException(
                    path, METADATA_KEY + " is " + node.getNodeType() + ", not an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(
                        path,
                        METADATA_KEY + " value of " + Messages.quote(e.getKey()) + " is "
                                + e.getValue().getNodeType() + ", not a string");
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node) throws SafetensorsException {
        String what = "tensor " + Messages.quote(name);
        if (!node.isObject()) {
            throw new SafetensorsException(path, what + " is " + node.getNodeType() + ", not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(path, what + ": \"dtype\" missing or not a string");
        }
        Dtype dtype = Dtype.forName(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafetensorsException(path, what + ": unknown dtype " + Messages.quote(dtypeNode.textValue()));
        }
        long[] shape = naturals(path, what, "shape", node.get("shape"), -1);
        long[] offsets = naturals(path, what, "data_offsets", node.get("data_offsets"), 2);
        long needed;
        try {
            needed = dtype.byteSize(shape);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(path, what + ": " + e.getMessage(), e);
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsException(
                    path, what + " data_offsets " + Arrays.toString(offsets) + " end before they begin");
        }
        if (end - begin != needed) {
            throw new SafetensorsException(
                    path,
                    what + " data_offsets " + Arrays.toString(offsets) + " hold " + (end - begin) + " bytes, " + dtype
                            + " " + Arrays.toString(shape) + " needs " + needed);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** A JSON array of integers in [0, 2^63): the reference's usize (length {@code count}, or any if -1). */
    private static long[] naturals(Path path, String what, String field, JsonNode node, int count)
            throws SafetensorsException {
        String desc = what + ": \"" + field + "\"";
        if (node == null || !node.isArray() || (count >= 0 && node.size() != count)) {
            throw new SafetensorsException(
                    path,
                    desc
                            + (count >= 0
                                    ? " is not an array of " + count + " integers"
                                    : " is not an array of integers")
                            + (node == null ? " (missing)" : ": " + node));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new SafetensorsException(path, desc + " holds " + v + ", not a 64-bit integer");
            }
            if (v.longValue() < 0) {
                throw new SafetensorsException(path, desc + " holds the negative number " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /**
     * The tensors in data-offset order must tile the data buffer: each begins where the previous ends, from
     * 0 to exactly the end of the file. Sorts {@code tensors} into that order (stable: header order for ties).
     */
    private static void checkLayout(Path path, List<TensorInfo> tensors, long bufferBytes) throws SafetensorsException {
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : tensors) {
            if (t.end() > bufferBytes) {
                throw new SafetensorsException(
                        path,
                        "tensor " + Messages.quote(t.name()) + " data_offsets ["
                                + t.begin() + ", " + t.end() + "] go past the end of the data (" + bufferBytes
                                + " bytes): truncated download?");
            }
            if (t.begin() < expected) {
                throw new SafetensorsException(
                        path,
                        "tensor " + Messages.quote(t.name()) + " data_offsets ["
                                + t.begin() + ", " + t.end() + "] overlap tensor " + Messages.quote(previous.name())
                                + " [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (t.begin() > expected) {
                throw new SafetensorsException(
                        path,
                        "bytes [" + expected + ", " + t.begin() + ") of the data belong to no tensor (a hole before "
                                + Messages.quote(t.name()) + ")");
            }
            expected = t.end();
            previous = t;
        }
        if (expected != bufferBytes) {
            throw new SafetensorsException(
                    path,
                    "the tensors end at byte " + expected + " of the data but the file holds " + bufferBytes
                            + " bytes of data: " + (bufferBytes - expected) + " bytes after the last tensor");
        }
    }

    /** Every tensor in data-offset order (the order a reference writer laid them out). */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor of this name. @throws IllegalArgumentException when the file has none */
    public TensorInfo tensor(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException(path + ": no tensor " + Messages.quote(name));
        }
        return t;
    }

    /** {@code __metadata__} in header order; empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The bytes of a tensor of this file: a read-only slice of the mapping, no copy. Valid until {@link #close}.
     *
     * @throws IllegalArgumentException for a TensorInfo that is not one of this file's
     */
    public MemorySegment data(TensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException(path + ": " + t + " is not a tensor of this file");
        }
        return file.asSlice(8 + headerLength + t.begin(), t.byteSize());
    }

    /** The mapping of the whole file, from offset 0: what {@link #data} and {@link #headerBytes} are slices of. */
    public MemorySegment mapping() {
        return file;
    }

    /** Bytes [0, 8 + N) of the file: the length field and the JSON header as they are, padding included. */
    public MemorySegment headerBytes() {
        return file.asSlice(0, 8 + headerLength);
    }

    /** N, the length of the JSON header (padding included); the data buffer starts at byte 8 + N. */
    public long headerLength() {
        return headerLength;
    }

    /** The size of the file in bytes. */
    public long fileSize() {
        return file.byteSize();
    }

    public Path path() {
        return path;
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        arena.close();
    }
}
