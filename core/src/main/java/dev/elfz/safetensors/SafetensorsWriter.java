package dev.elfz.safetensors;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.elfz.io.MappedOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a safetensors file the reference readers accept, straight from memory segments: the whole output
 * (header and data) is sized up front and mapped read-write, {@link #region} hands out each tensor's bytes
 * for a decoder to fill in place (from any thread), and {@link #commit} publishes it.
 *
 * <p>Nothing partial ever appears under the target name: the file is built as a temporary file in the
 * target's directory, forced to disk, then renamed atomically. {@link #close} without {@link #commit}
 * deletes it. An existing target is an error unless {@code overwrite} is set.
 *
 * <pre>{@code
 * try (SafetensorsWriter w = SafetensorsWriter.create(out, specs, metadata, false)) {
 *     for (int i = 0; i < specs.size(); i++) decode(i, w.region(i));
 *     w.commit();
 * }
 * }</pre>
 */
public final class SafetensorsWriter implements AutoCloseable {

    private final MappedOutput out;
    private final List<TensorSpec> specs;
    private final long[] starts; // absolute file positions of each tensor's bytes

    private SafetensorsWriter(MappedOutput out, List<TensorSpec> specs, long[] starts) {
        this.out = out;
        this.specs = specs;
        this.starts = starts;
    }

    /**
     * Creates the temporary output, sized for the header and every tensor, with the header already written.
     *
     * @param specs the tensors, laid out in this order (and listed in this order in the header)
     * @param metadata {@code __metadata__}, written first in the header; empty for none
     * @throws java.nio.file.FileAlreadyExistsException when the target exists and {@code overwrite} is false
     * @throws IllegalArgumentException for duplicate names or a tensor named {@code __metadata__}
     * @throws IOException when the directory is not writable or has not enough free space
     */
    public static SafetensorsWriter create(
            Path target, List<TensorSpec> specs, Map<String, String> metadata, boolean overwrite) throws IOException {
        specs = List.copyOf(specs);
        return open(target, header(specs, metadata == null ? Map.of() : metadata), specs, overwrite, true);
    }

    /**
     * Creates the temporary output with a header given byte for byte (a file's own header, so that a round trip
     * gives the same bytes). The header must be valid and lay out exactly {@code tensors}, in this order.
     *
     * @param header the N bytes of JSON after the length field, padding included
     * @param sync force the file to disk before it appears ({@link MappedOutput#create(Path, long, boolean, boolean)})
     * @throws SafetensorsException when the header is invalid or describes other tensors
     */
    public static SafetensorsWriter createVerbatim(
            Path target, byte[] header, List<TensorInfo> tensors, boolean overwrite, boolean sync) throws IOException {
        long data = 0;
        for (TensorInfo t : tensors) {
            data = Math.addExact(data, t.byteSize());
        }
        List<TensorInfo> parsed =
                SafetensorsFile.Header.parse(target, header, data).tensors();
        if (!parsed.equals(tensors)) {
            throw new SafetensorsException(target, "the header lists other tensors than the data holds");
        }
        return open(
                target, header.clone(), tensors.stream().map(TensorInfo::spec).toList(), overwrite, sync);
    }

    private static SafetensorsWriter open(
            Path target, byte[] header, List<TensorSpec> specs, boolean overwrite, boolean sync) throws IOException {
        long[] starts = new long[specs.size()];
        long pos = 8L + header.length;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = pos;
            pos = Math.addExact(pos, specs.get(i).byteSize());
        }
        MappedOutput out = MappedOutput.create(target, pos, overwrite, sync);
        try {
            // written, not mapped: a writer filled by write() alone never maps its file
            MemorySegment start = MemorySegment.ofArray(new byte[8 + header.length]);
            start.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, header.length);
            MemorySegment.copy(header, 0, start, ValueLayout.JAVA_BYTE, 8, header.length);
            out.write(0, start);
            out.release(); // the tensors' writes open it again: nothing held meanwhile
            return new SafetensorsWriter(out, specs, starts);
        } catch (IOException | RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    /** Writes small tensors from segments in one call: {@code data.get(i)} holds the bytes of {@code specs.get(i)}. */
    public static void write(
            Path target,
            List<TensorSpec> specs,
            List<MemorySegment> data,
            Map<String, String> metadata,
            boolean overwrite)
            throws IOException {
        if (data.size() != specs.size()) {
            throw new IllegalArgumentException(specs.size() + " tensors but " + data.size() + " data segments");
        }
        for (int i = 0; i < specs.size(); i++) {
            if (data.get(i).byteSize() != specs.get(i).byteSize()) {
                throw new IllegalArgumentException(
                        specs.get(i) + " needs " + specs.get(i).byteSize() + " bytes, its segment has "
                                + data.get(i).byteSize());
            }
        }
        try (SafetensorsWriter w = create(target, specs, metadata, overwrite)) {
            for (int i = 0; i < specs.size(); i++) {
                w.region(i).copyFrom(data.get(i));
            }
            w.commit();
        }
    }

    /**
     * The header as the reference writes it: compact JSON, {@code __metadata__} first when not empty, then the
     * tensors in order with contiguous offsets from 0, padded with spaces to a multiple of 8 bytes.
     */
    static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
        Set<String> names = new HashSet<>();
        for (TensorSpec s : specs) {
            if (s.name().equals(SafetensorsFile.METADATA_KEY) || !names.add(s.name())) {
                throw new IllegalArgumentException("tensor name " + Messages.quote(s.name())
                        + (names.contains(s.name()) ? " appears twice" : " is reserved"));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = SafetensorsFile.JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsFile.METADATA_KEY);
                for (Map.Entry<String, String> e : new LinkedHashMap<>(metadata).entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (TensorSpec s : specs) {
                g.writeObjectFieldStart(s.name());
                g.writeStringField("dtype", s.dtype().name());
                long[] shape = s.shape();
                g.writeFieldName("shape");
                g.writeArray(shape, 0, shape.length);
                long end = offset + s.byteSize();
                g.writeFieldName("data_offsets");
                g.writeArray(new long[] {offset, end}, 0, 2);
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        while (out.size() % 8 != 0) {
            out.write(' ');
        }
        if (out.size() > SafetensorsFile.MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("the header would be " + out.size() + " bytes, over the limit of "
                    + SafetensorsFile.MAX_HEADER_LENGTH);
        }
        return out.toByteArray();
    }

    /** The tensors, in file order. */
    public List<TensorSpec> specs() {
        return specs;
    }

    /**
     * Where tensor {@code index}'s bytes go (little-endian, row-major): a writable slice of the output
     * mapping, valid until {@link #commit} or {@link #close}. Different regions may be filled concurrently.
     */
    public MemorySegment region(int index) {
        try {
            return out.segment().asSlice(starts[index], specs.get(index).byteSize());
        } catch (IOException e) { // mapping the file on first use failed
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code bytes} into tensor {@code index} at byte {@code offset} of it, with a positional write (no
     * page faults on the mapping: the fast way for bulk data). Thread-safe.
     */
    public void write(int index, long offset, MemorySegment bytes) throws IOException {
        Objects.checkFromIndexSize(offset, bytes.byteSize(), specs.get(index).byteSize());
        out.write(starts[index] + offset, bytes);
    }

    /** Closes the file descriptor the writes hold until the next write ({@link MappedOutput#release}). */
    public void release() throws IOException {
        out.release();
    }

    /** Forces the file to disk and renames it to the target; the regions are unmapped. */
    public void commit() throws IOException {
        out.commit();
    }

    /** Without {@link #commit}: unmaps and deletes the temporary file; the target is untouched. */
    @Override
    public void close() throws IOException {
        out.close();
    }
}
