package dev.elfz.torch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The entries of a zip file read from its central directory on the mapping (zip64 included), each checked against
 * its local header: where its data lies, nothing decompressed. Only what a checkpoint needs; anything inconsistent is
 * a {@link TorchException}.
 */
final class Zip {

    static final int STORED = 0;
    static final int DEFLATED = 8;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int EOCD = 0x06054b50;
    private static final int EOCD64 = 0x06064b50;
    private static final int EOCD64_LOCATOR = 0x07064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;
    private static final int DESCRIPTOR = 0x08074b50;
    private static final long MAX_ENTRIES = 1 << 20;

    /**
     * One entry.
     *
     * @param data where its (stored or compressed) bytes begin
     * @param crcAt where its CRC-32 is written: the local header or the data descriptor after the data, and the
     *     central directory
     */
    record Entry(String name, int method, long crc, long compressedSize, long size, long data, long[] crcAt) {}

    private Zip() {}

    static boolean isZip(MemorySegment file) {
        return file.byteSize() >= 4 && file.get(U32, 0) == LOCAL;
    }

    /** Every entry in central-directory order. */
    static List<Entry> entries(Path path, MemorySegment file) throws TorchException {
        long size = file.byteSize();
        long eocd = findEnd(path, file);
        long count = u16(file, eocd + 10);
        long cdSize = u32(file, eocd + 12);
        long cdOffset = u32(file, eocd + 16);
        if (eocd >= 20 && file.get(U32, eocd - 20) == EOCD64_LOCATOR) {
            long at = file.get(U64, eocd - 20 + 8);
            if (at < 0 || at > eocd - 20 - 56) {
                throw new TorchException(path, "zip64 end record at " + at + " lies outside the file");
            }
            if (file.get(U32, at) != EOCD64) {
                throw new TorchException(path, "zip64 locator points at " + at + ", which holds no zip64 end record");
            }
            count = file.get(U64, at + 32);
            cdSize = file.get(U64, at + 40);
            cdOffset = file.get(U64, at + 48);
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > size || cdSize > size - cdOffset) {
            throw new TorchException(
                    path,
                    "zip central directory [" + cdOffset + ", +" + cdSize + ") runs past the end of the file (" + size
                            + " bytes): truncated or damaged");
        }
        if (count < 0 || count > MAX_ENTRIES || count * 46 > cdSize) {
            throw new TorchException(
                    path,
                    "zip says " + count + " entries, which its " + cdSize + "-byte central directory cannot hold");
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        long at = cdOffset;
        long end = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            need(path, at, 46, end, "central directory entry " + i);
            if (file.get(U32, at) != CENTRAL) {
                throw new TorchException(path, "zip central directory entry " + i + " at " + at + " has no signature");
            }
            int flags = u16(file, at + 8);
            int method = u16(file, at + 10);
            long crc = u32(file, at + 16);
            long csize = u32(file, at + 20);
            long usize = u32(file, at + 24);
            int nameLen = u16(file, at + 28);
            int extraLen = u16(file, at + 30);
            int commentLen = u16(file, at + 32);
            long local = u32(file, at + 42);
            need(path, at + 46, (long) nameLen + extraLen + commentLen, end, "central directory entry " + i);
            String name = string(file, at + 46, nameLen);
            long extra = at + 46 + nameLen;
            for (long x = extra; x + 4 <= extra + extraLen; ) { // the zip64 field holds what is 0xFFFFFFFF, in order
                int id = u16(file, x);
                int len = u16(file, x + 2);
                long v = x + 4;
                if (x + 4 + len > extra + extraLen) {
                    throw new TorchException(path, "zip entry " + name + ": an extra field runs past its end");
                }
                if (id == 1) {
                    if (usize == 0xFFFFFFFFL) {
                        usize = zip64(path, file, name, v, x + 4 + len);
                        v += 8;
                    }
                    if (csize == 0xFFFFFFFFL) {
                        csize = zip64(path, file, name, v, x + 4 + len);
                        v += 8;
                    }
                    if (local == 0xFFFFFFFFL) {
                        local = zip64(path, file, name, v, x + 4 + len);
                    }
                }
                x += 4 + len;
            }
            if (!names.add(name)) {
                throw new TorchException(path, "zip lists " + name + " twice");
            }
            if ((flags & 1) != 0) {
                throw new TorchException(path, "zip entry " + name + " is encrypted");
            }
            entries.add(local(path, file, name, flags, method, crc, csize, usize, local, at + 16));
            at += 46 + nameLen + extraLen + commentLen;
        }
        return entries;
    }

    /** The entry as its local header places it; its name and method must be the central directory's. */
    private static Entry local(
            Path path,
            MemorySegment file,
            String name,
            int flags,
            int method,
            long crc,
            long csize,
            long usize,
            long local,
            long centralCrc)
            throws TorchException {
        long size = file.byteSize();
        need(path, local, 30, size, "local header of " + name);
        if (file.get(U32, local) != LOCAL) {
            throw new TorchException(path, "zip entry " + name + ": no local header at " + local);
        }
        int nameLen = u16(file, local + 26);
        int extraLen = u16(file, local + 28);
        need(path, local + 30, (long) nameLen + extraLen, size, "local header of " + name);
        if (!string(file, local + 30, nameLen).equals(name) || u16(file, local + 8) != method) {
            throw new TorchException(path, "zip entry " + name + ": its local header names another entry or method");
        }
        if (method == STORED && csize != usize) {
            throw new TorchException(
                    path, "zip entry " + name + " is stored but says " + csize + " bytes stored for " + usize);
        }
        long data = local + 30 + nameLen + extraLen;
        need(path, data, csize, size, "data of " + name);
        long headerCrc = local + 14;
        if ((flags & 8) != 0) { // the CRC is in a data descriptor after the data (signature optional), 0 in the header
            long d = data + csize;
            need(path, d, 8, size, "data descriptor of " + name);
            headerCrc = file.get(U32, d) == DESCRIPTOR ? d + 4 : d;
        }
        return new Entry(name, method, crc, csize, usize, data, new long[] {headerCrc, centralCrc});
    }

    private static long zip64(Path path, MemorySegment file, String name, long at, long end) throws TorchException {
        if (at + 8 > end) {
            throw new TorchException(path, "zip entry " + name + ": its zip64 field is too short");
        }
        long v = file.get(U64, at);
        if (v < 0) {
            throw new TorchException(path, "zip entry " + name + ": zip64 value " + Long.toUnsignedString(v));
        }
        return v;
    }

    /** The end of central directory record: the last signature whose comment reaches the end of the file. */
    private static long findEnd(Path path, MemorySegment file) throws TorchException {
        long size = file.byteSize();
        for (long at = size - 22; at >= Math.max(0, size - 22 - 0xFFFF); at--) {
            if (file.get(U32, at) == EOCD && at + 22 + u16(file, at + 20) == size) {
                return at;
            }
        }
        throw new TorchException(path, "a zip without its end record: truncated or damaged");
    }

    private static void need(Path path, long at, long length, long end, String what) throws TorchException {
        if (at < 0 || length < 0 || at > end || length > end - at) {
            throw new TorchException(
                    path,
                    "zip " + what + " [" + at + ", +" + length + ") runs past byte " + end + ": truncated or damaged");
        }
    }

    private static int u16(MemorySegment file, long at) {
        return Short.toUnsignedInt(file.get(U16, at));
    }

    private static long u32(MemorySegment file, long at) {
        return Integer.toUnsignedLong(file.get(U32, at));
    }

    private static String string(MemorySegment file, long at, int length) {
        return new String(file.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
