package dev.elfz.kernel;

/** Stored data that cannot be right: positions out of range, lengths that disagree, a bad checksum. */
public class CorruptDataException extends RuntimeException {
    public CorruptDataException(String message) {
        super(message);
    }
}
