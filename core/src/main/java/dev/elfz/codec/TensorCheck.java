package dev.elfz.codec;

import dev.elfz.kernel.CorruptDataException;
import java.lang.foreign.MemorySegment;
import java.util.function.DoublePredicate;

/**
 * What {@code elfz verify} checks of a whole tensor beyond each value ({@link ValueCheck}): what the codec promises
 * about its stored parameters (a k-means codebook within the values it was fitted on; each uniform group's scale and
 * zero point the formula's for its values). Verify gathers a {@link Part} from every chunk on its worker threads, then
 * hands the parts over in chunk order on one thread, so memory stays a few chunks whatever the tensor's size. A fresh
 * one serves one tensor ({@link ValueCodec#tensorCheck}).
 */
public interface TensorCheck {

    /** What one chunk shows, gathered on a worker thread. */
    interface Part {}

    /** Whether {@link #part} needs the value codec's bytes of the chunk. */
    default boolean readsCoded() {
        return false;
    }

    /**
     * What chunk {@code chunk} shows.
     *
     * @param original the chunk's original values, little-endian, of the tensor's dtype
     * @param first the index in the tensor of the chunk's first value
     * @param coded the value codec's bytes of the chunk when {@link #readsCoded} and the chunk was coded, else null
     * @param last whether it is the tensor's last chunk
     * @param coding which original values the codec coded (all of them, or the survivors of pruning)
     */
    Part part(MemorySegment original, long first, MemorySegment coded, boolean last, DoublePredicate coding)
            throws CorruptDataException;

    /** Takes the parts in chunk order: what is wrong first, or null. */
    String follow(Part part);

    /** After the last part: what is wrong, or null. */
    default String finish() {
        return null;
    }
}
