package dev.elfz.container;

/**
 * The CRC32C of two runs of bytes joined, from the CRC32C of each and the length of the second (zlib's
 * {@code crc32_combine}, for the Castagnoli polynomial): each worker checksums the chunks it decodes, and the stream's
 * checksum is put together from theirs in chunk order, so that no thread reads the others' bytes again. The JDK's
 * {@link java.util.zip.CRC32C} has no such operation, nor has any library elfz depends on.
 */
final class Crc32c {

    private static final int POLY = 0x82f63b78; // Castagnoli, reflected
    private static final int ONE = 1 << 31; // the polynomial 1, reflected

    /** x^(2^k) modulo the polynomial, k = 0..31. */
    private static final int[] X2N = new int[32];

    static {
        X2N[0] = 1 << 30; // x
        for (int k = 1; k < X2N.length; k++) {
            X2N[k] = multiply(X2N[k - 1], X2N[k - 1]);
        }
    }

    private Crc32c() {}

    /** The CRC32C of A then B, given {@code crcA} of A, {@code crcB} of B and B's length in bytes. */
    static long combine(long crcA, long crcB, long lengthB) {
        return (multiply(powerOfX(lengthB), (int) crcA) ^ (int) crcB) & 0xffffffffL;
    }

    /** x^(8 n) modulo the polynomial. */
    private static int powerOfX(long n) {
        int p = ONE;
        for (int k = 3; n != 0; n >>>= 1, k++) {
            if ((n & 1) != 0) {
                p = multiply(X2N[k & 31], p);
            }
        }
        return p;
    }

    /** a b modulo the polynomial (both reflected). */
    private static int multiply(int a, int b) {
        int p = 0;
        for (int m = ONE; m != 0; m >>>= 1) {
            if ((a & m) != 0) {
                p ^= b;
            }
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return p;
    }
}
