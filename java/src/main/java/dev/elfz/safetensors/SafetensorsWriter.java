package dev.elfz.safetensors;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

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

    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private final List<TensorSpec> specs;
    private final long[] starts; // absolute file positions of each tensor's bytes
    private final FileChannel channel;
    private final Arena arena;
    private final MemorySegment mapping;
    private boolean finished;

    private SafetensorsWriter(Path target, Path temp, boolean overwrite, List<TensorSpec> specs, long[] starts,
            FileChannel channel, Arena arena, MemorySegment mapping) {
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
        this.specs = specs;
        this.starts = starts;
        this.channel = channel;
        this.arena = arena;
        this.mapping = mapping;
    }

    /**
     * Creates the temporary output, sized for the header and every tensor, with the header already written.
     *
     * @param specs the tensors, laid out in this order (and listed in this order in the header)
     * @param metadata {@code __metadata__}, written first in the header; empty for none
     * @throws FileAlreadyExistsException when the target exists and {@code overwrite} is false
     * @throws IllegalArgumentException for duplicate names or a tensor named {@code __metadata__}
     * @throws IOException when the directory is not writable or has not enough free space
     */
    public static SafetensorsWriter create(Path target, List<TensorSpec> specs, Map<String, String> metadata,
            boolean overwrite) throws IOException {
        specs = List.copyOf(specs);
        byte[] header = header(specs, metadata == null ? Map.of() : metadata);
        long[] starts = new long[specs.size()];
        long pos = 8L + header.length;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = pos;
            pos = Math.addExact(pos, specs.get(i).byteSize());
        }
        long total = pos;
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw exists(target);
        }
        Path dir = target.toAbsolutePath().getParent();
        // Mapped stores into space the disk does not have would fail later as a fault, not an IOException.
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < total) {
            throw new IOException(target + ": needs " + total + " bytes, " + dir + " has " + free + " free");
        }
        Path temp = null;
        FileChannel ch = null;
        Arena arena = Arena.ofShared();
        try {
            for (int attempt = 0; ch == null; attempt++) {
                temp = dir.resolve("." + target.getFileName() + "."
                        + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
                try {
                    // CREATE_NEW gives the usual 0666 & ~umask permissions, unlike createTempFile's 0600.
                    ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                            StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException e) {
                    temp = null;
                    if (attempt >= 10) {
                        throw e;
                    }
                }
            }
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena); // extends the file, sparse
            mapping.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, header.length);
            MemorySegment.copy(header, 0, mapping, ValueLayout.JAVA_BYTE, 8, header.length);
            return new SafetensorsWriter(target, temp, overwrite, specs, starts, ch, arena, mapping);
        } catch (IOException | RuntimeException | Error e) {
            discard(arena, ch, temp, e);
            throw e;
        }
    }

    /** Writes small tensors from segments in one call: {@code data.get(i)} holds the bytes of {@code specs.get(i)}. */
    public static void write(Path target, List<TensorSpec> specs, List<MemorySegment> data, Map<String, String> metadata,
            boolean overwrite) throws IOException {
        if (data.size() != specs.size()) {
            throw new IllegalArgumentException(specs.size() + " tensors but " + data.size() + " data segments");
        }
        for (int i = 0; i < specs.size(); i++) {
            if (data.get(i).byteSize() != specs.get(i).byteSize()) {
                throw new IllegalArgumentException(specs.get(i) + " needs " + specs.get(i).byteSize()
                        + " bytes, its segment has " + data.get(i).byteSize());
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
        if (finished) {
            throw new IllegalStateException(target + ": writer already committed or closed");
        }
        return mapping.asSlice(starts[index], specs.get(index).byteSize());
    }

    /** Forces the file to disk and renames it to the target; the regions are unmapped. */
    public void commit() throws IOException {
        if (finished) {
            throw new IllegalStateException(target + ": writer already committed or closed");
        }
        finished = true;
        try {
            mapping.force();
            channel.force(true);
            arena.close();
            channel.close();
            publish();
        } catch (IOException | RuntimeException | Error e) {
            discard(arena, channel, temp, e);
            throw e;
        }
        syncDirectory(temp.getParent());
    }

    private void publish() throws IOException {
        if (!overwrite) {
            boolean linked;
            try {
                Files.createLink(target, temp); // link(2) refuses an existing target: no window for a race
                linked = true;
            } catch (FileAlreadyExistsException e) {
                throw exists(target);
            } catch (UnsupportedOperationException | FileSystemException e) {
                linked = false; // no hard links here (FAT, some network file systems): check, then rename
            }
            if (linked) {
                Files.delete(temp);
                return;
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw exists(target);
            }
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Without {@link #commit}: unmaps and deletes the temporary file; the target is untouched. */
    @Override
    public void close() throws IOException {
        if (!finished) {
            finished = true;
            discard(arena, channel, temp, null);
        }
    }

    /** Releases everything a failed or abandoned output holds; problems join {@code failure} if there is one. */
    private static void discard(Arena arena, FileChannel ch, Path temp, Throwable failure) throws IOException {
        IOException first = null;
        try {
            arena.close();
        } catch (IllegalStateException alreadyClosed) {
            // closed by commit() before it failed
        }
        try {
            if (ch != null) {
                ch.close();
            }
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                first = e;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Makes the rename itself durable; not every platform can open a directory, and then it is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }

    private static FileAlreadyExistsException exists(Path target) {
        return new FileAlreadyExistsException(target.toString(), null, "already exists (overwrite not allowed)");
    }
}
