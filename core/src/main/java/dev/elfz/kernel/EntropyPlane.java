package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The reference coder of one entropy plane: raw, constant or Huffman-coded in 4 streams. The byte format, the
 * encoder's choice of mode and its code lengths (integer arithmetic only, so every implementation finds the same)
 * and what decoding checks are specified in FORMAT.md, "Entropy planes", the one home of that format; the methods
 * below follow its steps in order. The C kernel (native/src/elfz_entropy.c) is this class's twin: the same bytes
 * for every input.
 *
 * <p>Here the encoder takes each segment's histogram in one pass and sums them for the plane's; the decoder looks the
 * low {@link #MAX_LENGTH} bits of its bit buffer up in a table of 2^11 (symbol, length) entries, which is why codes
 * are written bit-reversed. Every failed check is a {@link CorruptDataException}.
 */
final class EntropyPlane {

    private EntropyPlane() {}

    static final int RAW = 0;
    static final int CONSTANT = 1;
    static final int HUFFMAN = 2;

    /** Longest code, in bits: the decoder's table has 2^11 entries. */
    static final int MAX_LENGTH = 11;

    private static final int TABLE = 1 << MAX_LENGTH;
    private static final int STREAMS = 4;
    /** Mode, last and the three stream sizes: a Huffman header without its code lengths. */
    private static final int FIXED = 14;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static long encode(MemorySegment src, long n, MemorySegment dst) {
        if (n == 0) {
            return raw(src, n, dst);
        }
        long m = (n + 15) / 16;
        if (m >= 4096) { // pre-check on every 16th byte
            long[] sample = new long[256];
            for (long i = 0; i < n; i += 16) {
                sample[src.get(ValueLayout.JAVA_BYTE, i) & 0xff]++;
            }
            int[] len = lengths(sample);
            long bits = 0;
            for (int s = 0; s < 256; s++) {
                bits += sample[s] * len[s];
            }
            if (bits * 8 >= m * 63) { // bits * 64 >= m * 8 * 63
                return raw(src, n, dst);
            }
        }

        long[] lo = new long[STREAMS], cnt = new long[STREAMS];
        segments(n, lo, cnt);
        long[][] hist = new long[STREAMS][];
        long[] total = new long[256];
        int distinct = 0;
        for (int i = 0; i < STREAMS; i++) {
            hist[i] = histogram(src, lo[i], cnt[i]);
        }
        for (int s = 0; s < 256; s++) {
            total[s] = hist[0][s] + hist[1][s] + hist[2][s] + hist[3][s];
            distinct += total[s] > 0 ? 1 : 0;
        }
        if (distinct == 1) {
            dst.set(ValueLayout.JAVA_BYTE, 0, (byte) CONSTANT);
            dst.set(ValueLayout.JAVA_BYTE, 1, src.get(ValueLayout.JAVA_BYTE, 0));
            return 2;
        }
        int[] len = lengths(total);
        int last = 255;
        while (len[last] == 0) {
            last--;
        }
        long header = FIXED + (last + 2) / 2;
        long[] size = new long[STREAMS];
        long plane = header;
        for (int i = 0; i < STREAMS; i++) {
            long bits = 0;
            for (int s = 0; s <= last; s++) {
                bits += hist[i][s] * len[s];
            }
            size[i] = (bits + 7) / 8;
            plane += size[i];
        }
        if (plane >= n - n / 64 || size[0] > 0xffffffffL || size[1] > 0xffffffffL || size[2] > 0xffffffffL) {
            return raw(src, n, dst);
        }

        int[] code = canonicalCodes(len);
        dst.set(ValueLayout.JAVA_BYTE, 0, (byte) HUFFMAN);
        dst.set(ValueLayout.JAVA_BYTE, 1, (byte) last);
        for (int s = 0; s <= last; s += 2) {
            dst.set(ValueLayout.JAVA_BYTE, 2 + s / 2, (byte) (len[s] | (s < last ? len[s + 1] << 4 : 0)));
        }
        for (int i = 0; i < 3; i++) {
            dst.set(INT, header - 12 + 4L * i, (int) size[i]);
        }
        long[] elt = new long[256];
        for (int s = 0; s < 256; s++) {
            elt[s] = len[s] > 0 ? (long) code[s] << (64 - len[s]) | len[s] : 0;
        }
        int first = 0;
        while (len[first] == 0) {
            first++;
        }
        long[] pair = n >= PAIR_MIN_PLANE && last - first < PAIR_SPAN ? pairTable(len, elt, first, last) : null;
        long[] ends = new long[STREAMS];
        long at = header;
        if (pair != null) {
            for (int i = 0; i < STREAMS; i += 2) {
                long[] state = {lo[i], at, 0, 0, lo[i + 1], at + size[i], 0, 0};
                encodePairs(
                        src,
                        lo[i] + cnt[i],
                        lo[i + 1] + cnt[i + 1],
                        pair,
                        first * 257,
                        dst,
                        state,
                        at + size[i],
                        at + size[i] + size[i + 1]);
                ends[i] = finishStream(src, state[0], lo[i] + cnt[i], elt, dst, state[1], state[2], (int) state[3]);
                ends[i + 1] = finishStream(
                        src, state[4], lo[i + 1] + cnt[i + 1], elt, dst, state[5], state[6], (int) state[7]);
                at += size[i] + size[i + 1];
            }
            at = header;
        }
        for (int i = 0; i < STREAMS; i++) {
            long end = pair != null ? ends[i] : encodeStream(src, lo[i], cnt[i], elt, dst, at, at + size[i]);
            if (end != at + size[i]) {
                throw new IllegalStateException("stream " + i + " took " + (end - at) + " bytes, not " + size[i]);
            }
            at = end;
        }
        return plane;
    }

    /**
     * The histogram of {@code count} bytes of {@code src} from {@code from}: 8 bytes per load, into two halves so
     * that runs of one byte do not wait on their own increments.
     */
    private static long[] histogram(MemorySegment src, long from, long count) {
        long[] h = new long[256];
        int[] sub = new int[1024];
        long j = from, end = from + count;
        for (int words; (words = (int) Math.min((end - j) / 8, RUN)) > 0; j += 8L * words) {
            MemorySegment in = src.asSlice(j, 8L * words);
            for (int w = 0; w < words; w++) {
                long v = in.getAtIndex(LONG, w);
                sub[(int) v & 0xff]++;
                sub[256 + ((int) (v >>> 8) & 0xff)]++;
                sub[512 + ((int) (v >>> 16) & 0xff)]++;
                sub[768 + ((int) (v >>> 24) & 0xff)]++;
                sub[(int) (v >>> 32) & 0xff]++;
                sub[256 + ((int) (v >>> 40) & 0xff)]++;
                sub[512 + ((int) (v >>> 48) & 0xff)]++;
                sub[768 + ((int) (v >>> 56) & 0xff)]++;
            }
            for (int s = 0; s < 256; s++) { // a run of at most 2^27 bytes: no int count wraps
                h[s] += sub[s] + sub[256 + s] + sub[512 + s] + sub[768 + s];
                sub[s] = sub[256 + s] = sub[512 + s] = sub[768 + s] = 0;
            }
        }
        for (; j < end; j++) {
            h[src.get(ValueLayout.JAVA_BYTE, j) & 0xff]++;
        }
        return h;
    }

    /**
     * Writes the codes of {@code count} bytes of {@code src} from {@code from} at {@code at}; returns the end. The
     * bit buffer fills from the top: a symbol shifts it right by its length and puts its code in the top bits, so
     * the pending bits are the top {@code bc} ones, oldest lowest (LSB-first once shifted down). {@code elt[s]} is
     * s's code in the top len[s] bits with len[s] in the low bits: {@code >>>} takes the low 6 bits of its count,
     * and {@code bc += elt} leaves junk only above bc's low byte. The low bits elt sets stay below the pending ones.
     */
    private static long encodeStream(
            MemorySegment src, long from, long count, long[] elt, MemorySegment dst, long at, long stop) {
        long buf = 0;
        int bc = 0; // its low byte: pending bits
        long j = from, end = from + count;
        // 4 codes of <= 11 bits on top of < 8 pending bits (51 at most, above elt's 4 low bits), one 8-byte store
        // that moves on by 6 bytes at most; 8 symbols a round, in runs of as many rounds as the room surely allows,
        // each run an int-counted loop over a slice (C2 then takes the bounds checks out of the loop)
        for (int rounds; (rounds = (int) Math.min(Math.min((end - j) / 8, (stop - at - 2) / 12), RUN)) > 0; ) {
            MemorySegment in = src.asSlice(j, 8L * rounds);
            for (int r = 0; r < rounds; r++) {
                long v = in.getAtIndex(LONG, r);
                long a = elt[(int) v & 0xff], b = elt[(int) (v >>> 8) & 0xff];
                long c = elt[(int) (v >>> 16) & 0xff], d = elt[(int) (v >>> 24) & 0xff];
                buf = buf >>> a | a;
                buf = buf >>> b | b;
                buf = buf >>> c | c;
                buf = buf >>> d | d;
                int n = (bc + (int) a + (int) b + (int) c + (int) d) & 255;
                dst.set(LONG, at, buf >>> -n); // n is 4 to 51: a shift by 64 - n
                at += n >>> 3;
                a = elt[(int) (v >>> 32) & 0xff];
                b = elt[(int) (v >>> 40) & 0xff];
                c = elt[(int) (v >>> 48) & 0xff];
                d = elt[(int) (v >>> 56) & 0xff];
                buf = buf >>> a | a;
                buf = buf >>> b | b;
                buf = buf >>> c | c;
                buf = buf >>> d | d;
                n = ((n & 7) + (int) a + (int) b + (int) c + (int) d) & 255;
                dst.set(LONG, at, buf >>> -n);
                at += n >>> 3;
                bc = n & 7;
            }
            j += 8L * rounds;
        }
        return finishStream(src, j, end, elt, dst, at, buf, bc);
    }

    /** The symbols [j, end) one at a time, then the last bits zero-padded to a byte; returns the end. */
    private static long finishStream(
            MemorySegment src, long j, long end, long[] elt, MemorySegment dst, long at, long buf, int bc) {
        for (; j < end; j++) {
            long e = elt[src.get(ValueLayout.JAVA_BYTE, j) & 0xff];
            buf = buf >>> e | e;
            for (bc = (bc + (int) e) & 255; bc >= 8; bc -= 8) {
                dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (buf >>> (64 - bc)));
            }
        }
        if (bc > 0) { // the last bits, zero-padded to a byte
            dst.set(ValueLayout.JAVA_BYTE, at++, (byte) (buf >>> (64 - bc)));
        }
        return at;
    }

    /** Pair tables: for planes whose symbols span at most 32 values (exponent planes), of 16 KiB and more. */
    private static final int PAIR_SPAN = 32;

    private static final long PAIR_MIN_PLANE = 16384;

    /**
     * Two symbols per lookup, as the C coder: the entry of the two bytes at j, read as one little-endian u16 (the
     * first symbol in its low byte) less {@code first * 257}, is their two codes as one (the first one's bits first)
     * in elt's form. Filled only where both symbols have a code: no other pair occurs in the plane.
     */
    private static long[] pairTable(int[] len, long[] elt, int first, int last) {
        long[] pair = new long[(PAIR_SPAN - 1) * 257 + 1];
        for (int s2 = first; s2 <= last; s2++) {
            for (int s1 = first; s1 <= last && len[s2] > 0; s1++) {
                if (len[s1] > 0) {
                    int l = len[s1] + len[s2];
                    long code = elt[s1] >>> (64 - len[s1]) | (elt[s2] >>> (64 - len[s2])) << len[s1];
                    pair[(s2 - first) * 256 + s1 - first] = code << (64 - l) | l;
                }
            }
        }
        return pair;
    }

    /**
     * Two streams with a pair table, as the C coder: 8 symbols of each a round in 4 lookups of up to 22 bits, one
     * store per 2 (51 bits at most, the entries' length in their 5 low bits), the two interleaved (two independent
     * chains) while both have a round's symbols and room: the streams of a plane hold as many symbols (the last up
     * to 3 fewer), and room runs out only in their last bytes, so {@link #finishStream} takes the few left.
     * {@code state} holds each stream's next symbol, output place, bit buffer and pending bits (as
     * {@link #encodeStream}'s), in and out.
     */
    private static void encodePairs(
            MemorySegment src,
            long endA,
            long endB,
            long[] pair,
            int base,
            MemorySegment dst,
            long[] state,
            long stopA,
            long stopB) {
        long ja = state[0], atA = state[1], bufA = state[2], jb = state[4], atB = state[5], bufB = state[6];
        int bcA = (int) state[3], bcB = (int) state[7];
        for (int rounds;
                (rounds = (int) Math.min(
                                Math.min(pairRounds(ja, endA, atA, stopA), pairRounds(jb, endB, atB, stopB)), RUN))
                        > 0; ) {
            MemorySegment inA = src.asSlice(ja, 8L * rounds), inB = src.asSlice(jb, 8L * rounds);
            for (int r = 0; r < rounds; r++) {
                long v = inA.getAtIndex(LONG, r), w = inB.getAtIndex(LONG, r);
                long a = pair[((int) v & 0xffff) - base], b = pair[((int) (v >>> 16) & 0xffff) - base];
                long c = pair[((int) w & 0xffff) - base], d = pair[((int) (w >>> 16) & 0xffff) - base];
                bufA = bufA >>> a | a;
                bufB = bufB >>> c | c;
                bufA = bufA >>> b | b;
                bufB = bufB >>> d | d;
                int n = (bcA + (int) a + (int) b) & 255, m = (bcB + (int) c + (int) d) & 255;
                dst.set(LONG, atA, bufA >>> -n); // n is 4 to 51: a shift by 64 - n
                dst.set(LONG, atB, bufB >>> -m);
                atA += n >>> 3;
                atB += m >>> 3;
                a = pair[((int) (v >>> 32) & 0xffff) - base];
                b = pair[(int) (v >>> 48) - base];
                c = pair[((int) (w >>> 32) & 0xffff) - base];
                d = pair[(int) (w >>> 48) - base];
                bufA = bufA >>> a | a;
                bufB = bufB >>> c | c;
                bufA = bufA >>> b | b;
                bufB = bufB >>> d | d;
                n = ((n & 7) + (int) a + (int) b) & 255;
                m = ((m & 7) + (int) c + (int) d) & 255;
                dst.set(LONG, atA, bufA >>> -n);
                dst.set(LONG, atB, bufB >>> -m);
                atA += n >>> 3;
                atB += m >>> 3;
                bcA = n & 7;
                bcB = m & 7;
            }
            ja += 8L * rounds;
            jb += 8L * rounds;
        }
        state[0] = ja;
        state[1] = atA;
        state[2] = bufA;
        state[3] = bcA;
        state[4] = jb;
        state[5] = atB;
        state[6] = bufB;
        state[7] = bcB;
    }

    /** Rounds of 8 symbols a stream can take with symbols [j, end) left and room for 2 stores of 8 bytes each. */
    private static long pairRounds(long j, long end, long at, long stop) {
        return Math.min((end - j) / 8, (stop - at - 2) / 12);
    }

    /** Most 8-byte words of one int-counted run: 2^27 bytes. */
    private static final int RUN = 1 << 24;

    private static long raw(MemorySegment src, long n, MemorySegment dst) {
        dst.set(ValueLayout.JAVA_BYTE, 0, (byte) RAW);
        MemorySegment.copy(src, 0, dst, 1, n);
        return n + 1;
    }

    static void decode(MemorySegment stored, long n, MemorySegment dst) {
        long size = stored.byteSize();
        int mode = size == 0 ? -1 : stored.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        switch (mode) {
            case RAW -> {
                if (size != n + 1) {
                    throw new CorruptDataException(
                            "a raw plane of " + n + " bytes takes " + (n + 1) + " bytes, not " + size);
                }
                MemorySegment.copy(stored, 1, dst, 0, n);
            }
            case CONSTANT -> {
                if (size != 2 || n == 0) {
                    throw new CorruptDataException("a constant plane of " + n + " bytes takes 2 bytes, not " + size);
                }
                dst.asSlice(0, n).fill(stored.get(ValueLayout.JAVA_BYTE, 1));
            }
            case HUFFMAN -> decodeHuffman(stored, n, dst);
            default ->
                throw new CorruptDataException(
                        size == 0
                                ? "an entropy plane of 0 bytes has no mode"
                                : "entropy plane mode " + mode + " is unknown");
        }
    }

    private static void decodeHuffman(MemorySegment stored, long n, MemorySegment dst) {
        long size = stored.byteSize();
        if (size < 2) {
            throw new CorruptDataException("a Huffman plane of " + size + " bytes has no header");
        }
        int last = stored.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
        long header = FIXED + (last + 2) / 2;
        if (size < header) {
            throw new CorruptDataException("a Huffman plane with " + (last + 1) + " code lengths has a header of "
                    + header + " bytes, but the plane is " + size + " bytes");
        }
        int[] len = new int[256];
        int used = 0, kraft = 0;
        for (int s = 0; s <= last; s++) {
            len[s] = (stored.get(ValueLayout.JAVA_BYTE, 2 + s / 2) >> (4 * (s & 1))) & 15;
            if (len[s] > MAX_LENGTH) {
                throw new CorruptDataException(
                        "Huffman code length " + len[s] + " of symbol " + s + " is over " + MAX_LENGTH);
            }
            if (len[s] > 0) {
                used++;
                kraft += TABLE >> len[s];
            }
        }
        if ((last & 1) == 0 && (stored.get(ValueLayout.JAVA_BYTE, 2 + last / 2) & 0xf0) != 0) {
            throw new CorruptDataException("the unused nibble after the last Huffman code length is not 0");
        }
        if (len[last] == 0) {
            throw new CorruptDataException("the last symbol of a Huffman plane, " + last + ", has no code");
        }
        if (used < 2 || kraft != TABLE) {
            throw new CorruptDataException("Huffman code lengths of " + used + " symbols are not a complete code"
                    + " (Kraft sum " + kraft + "/" + TABLE + ")");
        }
        long[] start = new long[STREAMS + 1];
        start[0] = header;
        long rest = size - header;
        for (int i = 0; i < 3; i++) {
            long streamSize = Integer.toUnsignedLong(stored.get(INT, header - 12 + 4L * i));
            if (streamSize > rest) {
                throw new CorruptDataException("Huffman stream " + i + " of " + streamSize
                        + " bytes does not fit in the " + rest + " bytes left of the plane");
            }
            rest -= streamSize;
            start[i + 1] = start[i] + streamSize;
        }
        start[STREAMS] = size;

        // (symbol << 8 | length) for every 11-bit pattern: a code and every pattern that starts with it
        int[] code = canonicalCodes(len);
        short[] table = new short[TABLE];
        for (int s = 0; s <= last; s++) {
            for (int c = code[s]; len[s] > 0 && c < TABLE; c += 1 << len[s]) {
                table[c] = (short) (s << 8 | len[s]);
            }
        }
        long[] multi = n >= MULTI_MIN_PLANE ? multiTable(table) : null;
        long[] lo = new long[STREAMS], cnt = new long[STREAMS];
        segments(n, lo, cnt);
        // state of each stream: next byte to load, bits loaded (LSB first; above the valid ones it may hold the bits
        // of the bytes at p), valid bits, next symbol's place
        long[] p = start.clone(), buf = new long[STREAMS], bc = new long[STREAMS], j = lo.clone();
        if (multi != null) {
            decodeInterleaved(stored, start, multi, dst, lo, cnt, p, buf, bc, j);
        }
        for (int i = 0; i < STREAMS; i++) {
            decodeStream(stored, start[i], start[i + 1], table, dst, lo[i], cnt[i], i, p[i], buf[i], (int) bc[i], j[i]);
        }
    }

    /** Most symbols one lookup of {@link #multiTable} gives: their bytes and the lookup's sizes are one long. */
    private static final int MULTI_MAX = 7;
    /** Below it, building the multi-symbol table costs more than it saves. */
    private static final long MULTI_MIN_PLANE = 16384;

    /**
     * Up to 7 symbols per lookup: for every 11-bit window, the symbols it decodes whole, one after the other, as
     * bytes 0..6 (stored as 8 bytes: byte 7 is written over later), their count in bits 56..58 and their bits in
     * 59..62. The same symbols as one lookup each in {@code table}, so every plane decodes (or fails) exactly as
     * with it.
     */
    private static long[] multiTable(short[] table) {
        long[] multi = new long[TABLE];
        for (int w = 0; w < TABLE; w++) {
            long syms = 0;
            int bits = 0, count = 0;
            while (count < MULTI_MAX) {
                int e = table[(w >>> bits) & (TABLE - 1)];
                if ((e & 15) > MAX_LENGTH - bits) {
                    break; // the code runs past the window
                }
                syms |= (long) ((e >> 8) & 0xff) << (8 * count++);
                bits += e & 15;
            }
            multi[w] = syms | (long) count << 56 | (long) bits << 59;
        }
        return multi;
    }

    /**
     * The 4 streams in one loop while every one has a round's bytes to read and room for its stores: 4 independent
     * chains of lookups, where one stream alone waits on each lookup's load. A round is a refill (8 bytes read, 7
     * on at most) and 5 lookups of up to 7 symbols (each stored as 8 bytes); runs of as many rounds as surely
     * stay in every stream and segment. Leaves each stream's state in p, buf, bc, j.
     */
    private static void decodeInterleaved(
            MemorySegment stored,
            long[] start,
            long[] multi,
            MemorySegment dst,
            long[] lo,
            long[] cnt,
            long[] p,
            long[] buf,
            long[] bc,
            long[] j) {
        long p0 = p[0], p1 = p[1], p2 = p[2], p3 = p[3];
        long b0 = buf[0], b1 = buf[1], b2 = buf[2], b3 = buf[3];
        long c0 = bc[0], c1 = bc[1], c2 = bc[2], c3 = bc[3];
        long j0 = j[0], j1 = j[1], j2 = j[2], j3 = j[3];
        for (; ; ) {
            long rounds = RUN;
            for (int i = 0; i < STREAMS; i++) {
                long pi = i == 0 ? p0 : i == 1 ? p1 : i == 2 ? p2 : p3;
                long ji = i == 0 ? j0 : i == 1 ? j1 : i == 2 ? j2 : j3;
                rounds = Math.min(rounds, Math.min((start[i + 1] - pi - 1) / 7, (lo[i] + cnt[i] - ji - 1) / 35));
            }
            if (rounds <= 0) {
                break;
            }
            for (int r = 0; r < (int) rounds; r++) {
                b0 |= stored.get(LONG, p0) << c0;
                p0 += (63 - c0) >>> 3;
                c0 |= 56;
                b1 |= stored.get(LONG, p1) << c1;
                p1 += (63 - c1) >>> 3;
                c1 |= 56;
                b2 |= stored.get(LONG, p2) << c2;
                p2 += (63 - c2) >>> 3;
                c2 |= 56;
                b3 |= stored.get(LONG, p3) << c3;
                p3 += (63 - c3) >>> 3;
                c3 |= 56;
                for (int k = 0; k < 5; k++) {
                    long e0 = multi[(int) b0 & (TABLE - 1)], e1 = multi[(int) b1 & (TABLE - 1)];
                    long e2 = multi[(int) b2 & (TABLE - 1)], e3 = multi[(int) b3 & (TABLE - 1)];
                    dst.set(LONG, j0, e0);
                    dst.set(LONG, j1, e1);
                    dst.set(LONG, j2, e2);
                    dst.set(LONG, j3, e3);
                    j0 += (e0 >>> 56) & 7;
                    j1 += (e1 >>> 56) & 7;
                    j2 += (e2 >>> 56) & 7;
                    j3 += (e3 >>> 56) & 7;
                    b0 >>>= e0 >>> 59;
                    b1 >>>= e1 >>> 59;
                    b2 >>>= e2 >>> 59;
                    b3 >>>= e3 >>> 59;
                    c0 -= e0 >>> 59;
                    c1 -= e1 >>> 59;
                    c2 -= e2 >>> 59;
                    c3 -= e3 >>> 59;
                }
            }
        }
        p[0] = p0;
        p[1] = p1;
        p[2] = p2;
        p[3] = p3;
        buf[0] = b0;
        buf[1] = b1;
        buf[2] = b2;
        buf[3] = b3;
        bc[0] = c0;
        bc[1] = c1;
        bc[2] = c2;
        bc[3] = c3;
        j[0] = j0;
        j[1] = j1;
        j[2] = j2;
        j[3] = j3;
    }

    /**
     * Decodes the {@code count} symbols of stream [start, end) of {@code stored} into {@code dst} from {@code from}
     * on, going on from the state (p, buf, bc, j) it has reached; the stream must hold them exactly.
     */
    private static void decodeStream(
            MemorySegment stored,
            long start,
            long end,
            short[] table,
            MemorySegment dst,
            long from,
            long count,
            int stream,
            long p,
            long buf,
            int bc,
            long j) {
        long past = 0; // zero bytes taken past the end of the stream
        long stop = from + count;
        while (stop - j >= 5 && end - p >= 8) { // 8 bytes loaded, as many whole ones kept as fit: 56 to 63 bits
            buf |= stored.get(LONG, p) << bc;
            p += (63 - bc) >>> 3;
            bc |= 56;
            for (int k = 0; k < 5; k++) { // 5 codes of up to 11 bits
                int e = table[(int) buf & (TABLE - 1)];
                dst.set(ValueLayout.JAVA_BYTE, j++, (byte) (e >> 8));
                buf >>>= e & 15;
                bc -= e & 15;
            }
        }
        for (; j < stop; j++) { // near the end of the stream: byte by byte, zeros past it
            if (bc < MAX_LENGTH && (p - start + past) * 8 - bc > (end - start) * 8) {
                break; // already past its end: corrupt, whatever follows
            }
            for (; bc < MAX_LENGTH; bc += 8) {
                if (p < end) {
                    buf |= (stored.get(ValueLayout.JAVA_BYTE, p++) & 0xffL) << bc;
                } else {
                    past++;
                }
            }
            int e = table[(int) buf & (TABLE - 1)];
            dst.set(ValueLayout.JAVA_BYTE, j, (byte) (e >> 8));
            buf >>>= e & 15;
            bc -= e & 15;
        }
        long bits = (p - start + past) * 8 - bc, size = end - start;
        if ((bits + 7) / 8 != size) {
            throw new CorruptDataException("Huffman stream " + stream + " of " + size + " bytes does not hold its "
                    + count + " symbols exactly: "
                    + (bits > size * 8 ? "they run past its end" : "it has bytes left over"));
        }
        if (bits % 8 != 0 && (stored.get(ValueLayout.JAVA_BYTE, end - 1) & 0xff) >>> (bits % 8) != 0) {
            throw new CorruptDataException("Huffman stream " + stream + " has padding bits that are not 0");
        }
    }

    /** Segment i: [min(i q, n), min((i + 1) q, n)) with q = ceil(n / 4). */
    private static void segments(long n, long[] lo, long[] cnt) {
        long q = (n + 3) / 4;
        for (int i = 0; i < STREAMS; i++) {
            lo[i] = Math.min(i * q, n);
            cnt[i] = Math.min((i + 1) * q, n) - lo[i];
        }
    }

    /**
     * The code lengths of a histogram (the format's steps 2 to 5): 0 for symbols that do not occur, else 1..11.
     * Counts must add up to less than 2^62.
     */
    static int[] lengths(long[] count) {
        int[] sym = new int[256];
        int used = 0;
        for (int s = 0; s < 256; s++) {
            if (count[s] > 0) {
                sym[used++] = s;
            }
        }
        for (int i = 1; i < used; i++) { // insertion sort by (count, symbol): symbols come in ascending
            int s = sym[i], j = i;
            for (; j > 0 && count[sym[j - 1]] > count[s]; j--) {
                sym[j] = sym[j - 1];
            }
            sym[j] = s;
        }
        long[] a = new long[used];
        for (int i = 0; i < used; i++) {
            a[i] = count[sym[i]];
        }
        minimumRedundancy(a, used);
        int[] num = new int[256];
        for (int i = 0; i < used; i++) {
            num[(int) a[i]]++; // depth <= used - 1 <= 255
        }
        limitLengths(num, used);
        int[] len = new int[256];
        int j = used;
        for (int l = 1; l <= MAX_LENGTH; l++) {
            for (int c = num[l]; c > 0; c--) {
                len[sym[--j]] = l;
            }
        }
        return len;
    }

    /**
     * Moffat and Katajainen's in-place minimum-redundancy code, as miniz's tdefl_calculate_minimum_redundancy:
     * {@code a[0..n)} holds weights in ascending order; on return {@code a[i]} is the code length of the i-th.
     */
    private static void minimumRedundancy(long[] a, int n) {
        if (n == 0) {
            return;
        }
        if (n == 1) {
            a[0] = 1;
            return;
        }
        a[0] += a[1];
        int root = 0, leaf = 2, next;
        for (next = 1; next < n - 1; next++) {
            if (leaf >= n || a[root] < a[leaf]) {
                a[next] = a[root];
                a[root++] = next;
            } else {
                a[next] = a[leaf++];
            }
            if (leaf >= n || (root < next && a[root] < a[leaf])) {
                a[next] += a[root];
                a[root++] = next;
            } else {
                a[next] += a[leaf++];
            }
        }
        a[n - 2] = 0;
        for (next = n - 3; next >= 0; next--) {
            a[next] = a[(int) a[next]] + 1;
        }
        int avbl = 1, used = 0, dpth = 0;
        root = n - 2;
        next = n - 1;
        while (avbl > 0) {
            while (root >= 0 && a[root] == dpth) {
                used++;
                root--;
            }
            while (avbl > used) {
                a[next--] = dpth;
                avbl--;
            }
            avbl = 2 * used;
            dpth++;
            used = 0;
        }
    }

    /** miniz's tdefl_huffman_enforce_max_code_size with a limit of 11 (the format's step 4). */
    private static void limitLengths(int[] num, int used) {
        if (used <= 1) {
            return;
        }
        for (int l = MAX_LENGTH + 1; l < num.length; l++) {
            num[MAX_LENGTH] += num[l];
            num[l] = 0;
        }
        int total = 0;
        for (int l = MAX_LENGTH; l > 0; l--) {
            total += num[l] << (MAX_LENGTH - l);
        }
        while (total != TABLE) {
            num[MAX_LENGTH]--;
            for (int l = MAX_LENGTH - 1; l > 0; l--) {
                if (num[l] != 0) {
                    num[l]--;
                    num[l + 1] += 2;
                    break;
                }
            }
            total--;
        }
    }

    /** Canonical codes of the lengths (deflate's rule), each bit-reversed: written and read LSB-first. */
    private static int[] canonicalCodes(int[] len) {
        int[] count = new int[MAX_LENGTH + 1], next = new int[MAX_LENGTH + 1];
        for (int l : len) {
            count[l]++;
        }
        count[0] = 0;
        for (int l = 1, c = 0; l <= MAX_LENGTH; l++) {
            c = (c + count[l - 1]) << 1;
            next[l] = c;
        }
        int[] code = new int[256];
        for (int s = 0; s < 256; s++) {
            if (len[s] > 0) {
                code[s] = Integer.reverse(next[len[s]]++) >>> (32 - len[s]);
            }
        }
        return code;
    }
}
