package dev.elfz.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The bytes of an ONNX file outside its tensors' payloads (the graph, names, attributes, typed fields), as the
 * runs between the payloads in file order. The container stores them back to back as one stream; this maps an
 * offset of that stream to where its bytes lie in the file, for gathering them and for putting them back.
 */
public final class Skeleton {

    /** One run of skeleton bytes: {@code length} bytes at {@code fileOffset} of the file, {@code offset} of the stream. */
    @FunctionalInterface
    public interface Run {
        void at(long fileOffset, long offset, long length) throws IOException;
    }

    private final long size;
    private final long[] fileStart;
    private final long[] start;

    /**
     * @param begins where each payload begins in the file, in increasing order
     * @param ends where each ends; payloads do not overlap and end within the file
     * @throws IllegalArgumentException when they are not so
     */
    public Skeleton(long fileSize, long[] begins, long[] ends) {
        List<long[]> runs = new ArrayList<>();
        long at = 0;
        long offset = 0;
        for (int i = 0; i <= begins.length; i++) {
            long b = i < begins.length ? begins[i] : fileSize;
            if (b < at || (i < begins.length && (ends[i] < b || ends[i] > fileSize))) {
                throw new IllegalArgumentException("payload " + i + " [" + b + ", " + (i < ends.length ? ends[i] : b)
                        + ") overlaps the one before it or lies outside the file of " + fileSize + " bytes");
            }
            if (b > at) { // empty runs are left out, so that run starts increase strictly
                runs.add(new long[] {at, offset});
                offset += b - at;
            }
            at = i < begins.length ? ends[i] : fileSize;
        }
        this.size = offset;
        this.fileStart = runs.stream().mapToLong(r -> r[0]).toArray();
        this.start = runs.stream().mapToLong(r -> r[1]).toArray();
    }

    /** Bytes of the skeleton: the file's size less its payloads'. */
    public long size() {
        return size;
    }

    /** Calls {@code run} for each piece of stream bytes [from, from + length), in order. */
    public void forEach(long from, long length, Run run) throws IOException {
        Objects.checkFromIndexSize(from, length, size);
        int i = Arrays.binarySearch(start, from);
        i = i >= 0 ? i : -i - 2;
        for (long done = 0; done < length; i++) {
            long runEnd = i + 1 < start.length ? start[i + 1] : size;
            long skip = from + done - start[i];
            long n = Math.min(length - done, runEnd - start[i] - skip);
            run.at(fileStart[i] + skip, from + done, n);
            done += n;
        }
    }
}
