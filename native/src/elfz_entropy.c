/*
 * Entropy planes: a plane of bytes stored raw, as one repeated byte, or Huffman-coded in 4 streams with code
 * lengths of at most 11 bits. The format and every rule of the encoder are specified in FORMAT.md, "Entropy
 * planes"; core/src/main/java/dev/elfz/kernel/EntropyPlane.java is this file's Java twin, and both must write the
 * same bytes for every input.
 *
 * Scalar on purpose: Huffman coding is serial per stream. Speed comes from 8 sub-histograms; an encoder that
 * writes two streams at a time, each from a top-filled 64-bit container (one table load and three operations
 * per symbol, or per pair of symbols when the plane's symbols span at most 32 values, as exponents do; one 8-byte
 * store per 4 codes); and a decoder that runs the 4 streams interleaved with a branchless refill (at least 56
 * bits, then 5 lookups per stream), each lookup one 8-byte entry of a 2048-entry table giving up to 6 symbols,
 * their count and their bits on large planes. The tables are the coder's own: the bytes are the format's. The
 * loops are mostly shifts by variable counts: elfz_entropy_bmi2.c compiles this file again with BMI2.
 */
#include "elfz.h"
#include "elfz_internal.h"

#if defined(__BMI2__)
#include <immintrin.h>
#endif

/* elfz_entropy_bmi2.c compiles this file again as the "bmi2" coder; this one is the "scalar" coder. */
#ifndef ELFZ_ENTROPY_ISA
#define ELFZ_ENTROPY_ISA scalar
#endif
#define ENTROPY_FN_(name, isa) elfz_entropy_##name##_##isa
#define ENTROPY_FN__(name, isa) ENTROPY_FN_(name, isa)
#define ENTROPY_FN(name) ENTROPY_FN__(name, ELFZ_ENTROPY_ISA)

#define HUF_MAX_LEN 11
#define HUF_TABLE (1u << HUF_MAX_LEN)
#define HUF_STREAMS 4
#define HUF_FIXED 14 /* mode, last, three u32 stream sizes: the header without its code lengths */

enum { MODE_RAW = 0, MODE_CONSTANT = 1, MODE_HUFFMAN = 2 };

static inline uint64_t ld64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void st64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static inline uint64_t ld32(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

static inline void st32(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- code lengths ---- */

/* Shell sort (Ciura's gaps), ascending; the keys are distinct, so any correct sort gives this order. */
static void sort_keys(uint64_t *a, int n) {
    static const int gaps[] = {132, 57, 23, 10, 4, 1};
    for (int g = 0; g < 6; g++) {
        const int gap = gaps[g];
        for (int i = gap; i < n; i++) {
            uint64_t v = a[i];
            int j = i;
            for (; j >= gap && a[j - gap] > v; j -= gap) a[j] = a[j - gap];
            a[j] = v;
        }
    }
}

/*
 * Moffat and Katajainen's in-place minimum-redundancy code (as miniz's tdefl_calculate_minimum_redundancy):
 * A[0..n) holds weights in ascending order; on return A[i] is the code length of the i-th, the lightest the
 * longest. 64-bit weights, so that sums never wrap.
 */
static void minimum_redundancy(uint64_t *A, int n) {
    if (n == 0) return;
    if (n == 1) {
        A[0] = 1;
        return;
    }
    A[0] += A[1];
    int root = 0, leaf = 2, next;
    for (next = 1; next < n - 1; next++) {
        if (leaf >= n || A[root] < A[leaf]) {
            A[next] = A[root];
            A[root++] = (uint64_t)next;
        } else {
            A[next] = A[leaf++];
        }
        if (leaf >= n || (root < next && A[root] < A[leaf])) {
            A[next] += A[root];
            A[root++] = (uint64_t)next;
        } else {
            A[next] += A[leaf++];
        }
    }
    A[n - 2] = 0;
    for (next = n - 3; next >= 0; next--) A[next] = A[A[next]] + 1;
    int avbl = 1, used = 0, dpth = 0;
    root = n - 2;
    next = n - 1;
    while (avbl > 0) {
        while (root >= 0 && A[root] == (uint64_t)dpth) {
            used++;
            root--;
        }
        while (avbl > used) {
            A[next--] = (uint64_t)dpth;
            avbl--;
        }
        avbl = 2 * used;
        dpth++;
        used = 0;
    }
}

/*
 * miniz's tdefl_huffman_enforce_max_code_size: num[l] codes of length l (l up to 255) become a complete code
 * of lengths <= 11: every longer code moves to 11, then, while the Kraft sum exceeds 2^11, one code of length
 * 11 goes and the longest shorter length gives one code up for two a bit longer.
 */
static void limit_lengths(int num[256], int used) {
    if (used <= 1) return;
    for (int i = HUF_MAX_LEN + 1; i < 256; i++) {
        num[HUF_MAX_LEN] += num[i];
        num[i] = 0;
    }
    uint32_t total = 0;
    for (int i = HUF_MAX_LEN; i > 0; i--) total += (uint32_t)num[i] << (HUF_MAX_LEN - i);
    while (total != HUF_TABLE) {
        num[HUF_MAX_LEN]--;
        for (int i = HUF_MAX_LEN - 1; i > 0; i--) {
            if (num[i]) {
                num[i]--;
                num[i + 1] += 2;
                break;
            }
        }
        total--;
    }
}

/*
 * The code lengths of a histogram (total below 2^58): symbols that occur, sorted by (count, symbol), get
 * minimum-redundancy lengths limited to 11, handed out in that order, longest first. Unused symbols get 0.
 */
static void huffman_lengths(const uint64_t count[256], uint8_t len[256]) {
    uint64_t key[256], A[256];
    int used = 0;
    for (int s = 0; s < 256; s++) {
        len[s] = 0;
        if (count[s]) key[used++] = count[s] << 8 | (uint64_t)s;
    }
    sort_keys(key, used);
    for (int i = 0; i < used; i++) A[i] = key[i] >> 8;
    minimum_redundancy(A, used);
    int num[256] = {0};
    for (int i = 0; i < used; i++) num[A[i]]++; /* depth <= used - 1 <= 255 */
    limit_lengths(num, used);
    int j = used;
    for (int l = 1; l <= HUF_MAX_LEN; l++)
        for (int c = num[l]; c > 0; c--) len[key[--j] & 255] = (uint8_t)l;
}

/* Canonical codes (deflate's rule), each bit-reversed so that it is written and read LSB-first. */
static void canonical_codes(const uint8_t len[256], uint32_t code[256]) {
    uint32_t count[HUF_MAX_LEN + 1] = {0}, next[HUF_MAX_LEN + 1];
    for (int s = 0; s < 256; s++) count[len[s]]++;
    count[0] = 0;
    uint32_t c = 0;
    for (int l = 1; l <= HUF_MAX_LEN; l++) {
        c = (c + count[l - 1]) << 1;
        next[l] = c;
    }
    for (int s = 0; s < 256; s++) {
        code[s] = 0;
        if (!len[s]) continue;
        uint32_t v = next[len[s]]++, r = 0;
        for (int b = 0; b < len[s]; b++) r |= (v >> b & 1) << (len[s] - 1 - b);
        code[s] = r;
    }
}

/* ---- encoder ---- */

/* Segment i of the plane: [min(i q, n), min((i + 1) q, n)) with q = ceil(n / 4). */
static void segments(uint64_t n, uint64_t lo[HUF_STREAMS], uint64_t cnt[HUF_STREAMS]) {
    const uint64_t q = n / 4 + (n % 4 != 0);
    for (int i = 0; i < HUF_STREAMS; i++) {
        uint64_t a = (uint64_t)i * q, b = a + q;
        if (a > n) a = n;
        if (b > n) b = n;
        lo[i] = a;
        cnt[i] = b - a;
    }
}

/*
 * hist[i][s] = occurrences of s in segment i. Eight u32 sub-histograms (two per segment) so that runs of one
 * symbol do not wait on their own increments; blocks of 2^30 keep them from wrapping. (noinline, as
 * encode_stream: inlined into elfz_entropy_encode, GCC 12 spilled the loops' registers, 1.1 GB/s instead of 1.45.)
 */
__attribute__((noinline)) static void segment_histograms(const uint8_t *src, const uint64_t lo[HUF_STREAMS],
                                                         const uint64_t cnt[HUF_STREAMS],
                                                         uint64_t hist[HUF_STREAMS][256]) {
    uint32_t h[2 * HUF_STREAMS][256];
    memset(hist, 0, sizeof(uint64_t) * HUF_STREAMS * 256);
    const uint8_t *s0 = src + lo[0], *s1 = src + lo[1], *s2 = src + lo[2], *s3 = src + lo[3];
    const uint64_t common = cnt[3]; /* the shortest: segments only shrink towards the end */
    uint64_t b = 0;
    do {
        memset(h, 0, sizeof h);
        uint64_t e = common - b > (1u << 30) ? b + (1u << 30) : common, j = b;
        for (; j + 2 <= e; j += 2) {
            h[0][s0[j]]++;
            h[2][s1[j]]++;
            h[4][s2[j]]++;
            h[6][s3[j]]++;
            h[1][s0[j + 1]]++;
            h[3][s1[j + 1]]++;
            h[5][s2[j + 1]]++;
            h[7][s3[j + 1]]++;
        }
        for (; j < e; j++) {
            h[0][s0[j]]++;
            h[2][s1[j]]++;
            h[4][s2[j]]++;
            h[6][s3[j]]++;
        }
        for (int i = 0; i < 2 * HUF_STREAMS; i++)
            for (int s = 0; s < 256; s++) hist[i / 2][s] += h[i][s];
        b = e;
    } while (b < common);
    /* what segments 0..2 hold beyond the common length: at most 3 bytes each */
    for (int i = 0; i < 3; i++)
        for (uint64_t j = common; j < cnt[i]; j++) hist[i][src[lo[i] + j]]++;
}

/*
 * One stream being written. The container fills from the top: a symbol shifts it right by its length and sets
 * its code in the top bits, so the pending bits are the top `bc` ones, oldest lowest, which is LSB-first order
 * once shifted down. elt[s] is s's code in the top len[s] bits with len[s] in the low bits: the shift takes its
 * count from those low bits (x86 and AArch64 shifts use the count's low 6 bits; C is told so with the & 63), and
 * bc += elt only adds junk above bc's low byte. The low bits that elt sets stay below the pending bits.
 */
typedef struct {
    const uint8_t *in, *stop;
    uint64_t buf;
    uint64_t bc; /* its low byte: pending bits */
    uint8_t *out;
    const uint8_t *end;
} huf_writer;

#define PUT(w, s)                                                                                                      \
    do {                                                                                                               \
        const uint64_t e_ = elt[s];                                                                                    \
        (w).buf = (w).buf >> (e_ & 63) | e_;                                                                           \
        (w).bc += e_;                                                                                                  \
    } while (0)

/* The pending bits, shifted down, as 8 bytes at out; whole bytes kept (bc between 1 and 63). */
#define FLUSH(w)                                                                                                       \
    do {                                                                                                               \
        const unsigned n_ = (unsigned)(w).bc & 255;                                                                    \
        st64((w).out, (w).buf >> ((64 - n_) & 63));                                                                    \
        (w).out += n_ >> 3;                                                                                            \
        (w).bc = n_ & 7;                                                                                               \
    } while (0)

/* 4 codes of <= 11 bits on top of < 8 pending bits: 51 bits at most, above elt's 4 low bits. */
#define ENCODE4(w)                                                                                                     \
    do {                                                                                                               \
        PUT(w, (w).in[0]);                                                                                             \
        PUT(w, (w).in[1]);                                                                                             \
        PUT(w, (w).in[2]);                                                                                             \
        PUT(w, (w).in[3]);                                                                                             \
        (w).in += 4;                                                                                                   \
        FLUSH(w);                                                                                                      \
    } while (0)

/*
 * Two symbols per lookup where every symbol of the plane lies in [lo, lo + 32), as an exponent plane's do: the
 * entry of the two bytes at p, read as one little-endian u16 (the first symbol in its low byte), is their two
 * codes as one (the first one's bits first) in elt's form. The table is indexed by that u16 less lo * 257 and
 * filled only where both symbols have a code: no other pair occurs in the plane. The coder indexes it by the u16
 * itself, through a pointer lo * 257 entries before it (a subtraction less per lookup; never read there).
 */
#define PAIR_SPAN 32
#define PAIR_ENTRIES ((PAIR_SPAN - 1) * 257 + 1)
#define PAIR_MIN_PLANE 16384 /* below it, building the table costs more than it saves */

static inline unsigned ld16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

#define PUT2(w, i)                                                                                                     \
    do {                                                                                                               \
        const uint64_t e_ = pair[ld16((w).in + (i))];                                                                  \
        (w).buf = (w).buf >> (e_ & 63) | e_;                                                                           \
        (w).bc += e_;                                                                                                  \
    } while (0)

/* 2 pairs of <= 22 bits on top of < 8 pending bits: 51 bits at most, above the entries' 5 low bits. */
#define ENCODE8(w)                                                                                                     \
    do {                                                                                                               \
        PUT2(w, 0);                                                                                                    \
        PUT2(w, 2);                                                                                                    \
        FLUSH(w);                                                                                                      \
        PUT2(w, 4);                                                                                                    \
        PUT2(w, 6);                                                                                                    \
        FLUSH(w);                                                                                                      \
        (w).in += 8;                                                                                                   \
    } while (0)

/*
 * The rounds of `syms` symbols and `flushes` flushes a stream takes with the symbols left and 8 bytes of room at
 * each flush: a flush moves on by 6 bytes at most.
 */
static inline uint64_t writer_rounds(const huf_writer *w, unsigned syms, unsigned flushes) {
    const uint64_t left = (uint64_t)(w->stop - w->in) / syms;
    const uint64_t room = w->end - w->out < 8 ? 0 : ((uint64_t)(w->end - w->out - 8) / 6 + 1) / flushes;
    return left < room ? left : room;
}

/* The last symbols of a stream one at a time, then its last bits zero-padded to a byte; returns the end. */
static uint8_t *finish_writer(huf_writer w, const uint64_t elt[256]) {
    while (w.in < w.stop) {
        PUT(w, *w.in);
        w.in++;
        for (; (w.bc & 255) >= 8; w.bc -= 8) *w.out++ = (uint8_t)(w.buf >> (64 - (w.bc & 255)));
    }
    w.bc &= 255;
    if (w.bc) *w.out++ = (uint8_t)(w.buf >> (64 - w.bc));
    return w.out;
}

/*
 * Writes the 4 streams, two at a time, interleaved while both have a round's symbols and room (the sizes are
 * known, so each starts where the previous one will end): two independent chains keep the core busy where one
 * stream waits on its own container; four would not fit x86-64's 16 registers. A round is 8 symbols in 4 pair
 * lookups with a pair table, else 4 symbols. (noinline: inlined into entropy_encode, GCC 12 spilled the loops'
 * registers.)
 */
__attribute__((noinline)) static int encode_streams(huf_writer w[HUF_STREAMS], const uint64_t elt[256],
                                                    const uint64_t *pair) {
    for (int i = 0; i < HUF_STREAMS; i += 2) {
        huf_writer a = w[i], b = w[i + 1];
        if (pair) {
            for (;;) {
                uint64_t rounds = writer_rounds(&a, 8, 2), r = writer_rounds(&b, 8, 2);
                if (r < rounds) rounds = r;
                if (!rounds) break;
                do {
                    ENCODE8(a);
                    ENCODE8(b);
                } while (--rounds);
            }
            for (uint64_t rounds = writer_rounds(&a, 8, 2); rounds; rounds--) ENCODE8(a);
            for (uint64_t rounds = writer_rounds(&b, 8, 2); rounds; rounds--) ENCODE8(b);
        }
        for (;;) {
            uint64_t rounds = writer_rounds(&a, 4, 1), r = writer_rounds(&b, 4, 1);
            if (r < rounds) rounds = r;
            if (!rounds) break;
            do {
                ENCODE4(a);
                ENCODE4(b);
            } while (--rounds);
        }
        for (uint64_t rounds = writer_rounds(&a, 4, 1); rounds; rounds--) ENCODE4(a);
        for (uint64_t rounds = writer_rounds(&b, 4, 1); rounds; rounds--) ENCODE4(b);
        if (finish_writer(a, elt) != a.end || finish_writer(b, elt) != b.end) return 0;
    }
    return 1;
}

/*
 * The pair table of the codes when the plane's symbols, first..last, span at most PAIR_SPAN; returns how much its
 * index is offset (lo * 257), or -1 without a table.
 */
static int pair_table(const uint8_t len[256], const uint64_t elt[256], int last, uint64_t pair[PAIR_ENTRIES]) {
    int first = 0;
    while (!len[first]) first++;
    if (last - first >= PAIR_SPAN) return -1;
    for (int s2 = first; s2 <= last; s2++) {
        if (!len[s2]) continue;
        const uint64_t code2 = elt[s2] >> (64 - len[s2]);
        for (int s1 = first; s1 <= last; s1++) {
            if (!len[s1]) continue;
            const unsigned l = len[s1] + len[s2];
            const uint64_t code = elt[s1] >> (64 - len[s1]) | code2 << len[s1];
            pair[(s2 - first) * 256 + (s1 - first)] = code << (64 - l) | l;
        }
    }
    return first * 257;
}

static int64_t store_raw(const uint8_t *src, uint64_t n, uint8_t *dst) {
    dst[0] = MODE_RAW;
    if (n) memcpy(dst + 1, src, n);
    return (int64_t)(n + 1);
}

int64_t ENTROPY_FN(encode)(const uint8_t *src, uint64_t n, uint8_t *dst) {
    if (n == 0) return store_raw(src, n, dst);

    uint8_t len[256];
    /* Pre-check on every 16th byte: no time goes into a plane that would not save 1/64. */
    const uint64_t m = n / 16 + (n % 16 != 0);
    if (m >= 4096) {
        uint64_t sample[256] = {0};
        for (uint64_t i = 0; i < n; i += 16) sample[src[i]]++;
        huffman_lengths(sample, len);
        uint64_t bits = 0;
        for (int s = 0; s < 256; s++) bits += sample[s] * len[s];
        if (bits * 8 >= m * 63) return store_raw(src, n, dst); /* bits * 64 >= m * 8 * 63 */
    }

    uint64_t lo[HUF_STREAMS], cnt[HUF_STREAMS], hist[HUF_STREAMS][256], total[256];
    segments(n, lo, cnt);
    segment_histograms(src, lo, cnt, hist);
    int distinct = 0, last = 0;
    for (int s = 0; s < 256; s++) {
        total[s] = hist[0][s] + hist[1][s] + hist[2][s] + hist[3][s];
        if (total[s]) distinct++;
    }
    if (distinct == 1) {
        dst[0] = MODE_CONSTANT;
        dst[1] = src[0];
        return 2;
    }
    huffman_lengths(total, len);
    for (int s = 0; s < 256; s++)
        if (len[s]) last = s;
    const uint64_t header = HUF_FIXED + (uint64_t)(last + 2) / 2;
    uint64_t size[HUF_STREAMS], plane = header;
    for (int i = 0; i < HUF_STREAMS; i++) {
        uint64_t bits = 0;
        for (int s = 0; s <= last; s++) bits += hist[i][s] * len[s];
        size[i] = bits / 8 + (bits % 8 != 0);
        plane += size[i];
    }
    if (plane >= n - n / 64 || size[0] > UINT32_MAX || size[1] > UINT32_MAX || size[2] > UINT32_MAX)
        return store_raw(src, n, dst);

    uint32_t code[256];
    uint64_t elt[256];
    canonical_codes(len, code);
    for (int s = 0; s < 256; s++) elt[s] = len[s] ? (uint64_t)code[s] << (64 - len[s]) | len[s] : 0;
    dst[0] = MODE_HUFFMAN;
    dst[1] = (uint8_t)last;
    uint8_t *p = dst + 2;
    for (int s = 0; s <= last; s += 2) *p++ = (uint8_t)(len[s] | (s + 1 <= last ? len[s + 1] << 4 : 0));
    for (int i = 0; i < 3; i++, p += 4) st32(p, size[i]);
    huf_writer w[HUF_STREAMS];
    for (int i = 0; i < HUF_STREAMS; i++) {
        w[i] = (huf_writer){src + lo[i], src + lo[i] + cnt[i], 0, 0, p, p + size[i]};
        p += size[i];
    }
    uint64_t pair[PAIR_ENTRIES];
    const int pair_base = n >= PAIR_MIN_PLANE ? pair_table(len, elt, last, pair) : -1;
    const uint64_t *biased = pair_base < 0 ? NULL : (const uint64_t *)((uintptr_t)pair - (uintptr_t)pair_base * 8);
    /* cannot fail: the sizes came from the same lengths */
    return encode_streams(w, elt, biased) ? (int64_t)plane : ELFZ_E_CORRUPT;
}

/* ---- decoder ---- */

typedef struct {
    const uint8_t *start, *p, *end;
    uint64_t buf;  /* bits not yet consumed, LSB first; above bc it may hold the next bits of the stream */
    unsigned bc;   /* valid bits in buf */
    uint64_t virt; /* zero bytes fed past the end of the stream */
} huf_reader;

/* At least 56 valid bits: 8 bytes read, as many whole bytes taken as fit (needs 8 bytes before the end). */
#define REFILL(r)                                                                                                      \
    do {                                                                                                               \
        (r).buf |= ld64((r).p) << (r).bc;                                                                              \
        (r).p += (63 - (r).bc) >> 3;                                                                                   \
        (r).bc |= 56;                                                                                                  \
    } while (0)

#define DECODE(r, o)                                                                                                   \
    do {                                                                                                               \
        const unsigned e_ = table[(r).buf & (HUF_TABLE - 1)];                                                          \
        *(o)++ = (uint8_t)(e_ >> 8);                                                                                   \
        (r).buf >>= e_ & 63;                                                                                           \
        (r).bc -= e_ & 63;                                                                                             \
    } while (0)

/*
 * Up to 6 symbols per lookup: multi[w] holds, for the 11-bit window w, the bits of the symbols it decodes whole in
 * byte 0, those symbols, one after the other, in bytes 1..6 and their count in byte 7, so that one load gives all
 * and the bits are the low bits a shift takes its count from. The same symbols as one lookup each in `table`, so
 * every plane decodes (or fails) exactly as with it.
 */
#define MULTI_MAX 6
#define MULTI_MIN_PLANE 16384 /* below it, building the table costs more than it saves */

/*
 * The multi-symbol table without a cap on its count, window width by width: the entry of the r-bit window w is
 * empty when the code that w begins with is longer than r, else that code's symbol followed by the entry of the
 * (r - length)-bit window after it. Each entry in a few branchless operations, where following codes one by one
 * costs a mispredicted exit per entry (a fifth of a 256 KiB plane's decoding).
 */
static void multi_levels(const uint16_t table[HUF_TABLE], uint64_t multi[HUF_TABLE]) {
    uint64_t level[HUF_TABLE]; /* the widths 0..10, width r at offset 2^r - 1 */
    level[0] = 0;
    for (unsigned r = 1; r <= HUF_MAX_LEN; r++) {
        uint64_t *const to = r == HUF_MAX_LEN ? multi : level + ((1u << r) - 1);
        for (uint32_t w = 0; w < 1u << r; w++) {
            const unsigned e = table[w], l = e & 63; /* w's bits above r are 0: a code of <= r bits is found */
            const unsigned k = l > r ? 0 : r - l;    /* the width after the code */
            const uint64_t rest = level[((1u << k) - 1) + (w >> (l & 15) & ((1u << k) - 1))];
            const uint64_t entry = (rest & UINT64_C(0x00ffffffffffff00)) << 8 | (uint64_t)(e >> 8) << 8 |
                                   ((rest & 255) + l) | ((rest >> 56) + 1) << 56;
            to[w] = l > r ? 0 : entry;
        }
    }
}

static void multi_table(const uint16_t table[HUF_TABLE], uint64_t multi[HUF_TABLE]) {
    int shortest = HUF_MAX_LEN;
    for (uint32_t w = 0; w < HUF_TABLE; w++)
        if ((int)(table[w] & 63) < shortest) shortest = table[w] & 63;
    if (2 * shortest > HUF_MAX_LEN) { /* one code per window, as on mantissa planes */
        for (uint32_t w = 0; w < HUF_TABLE; w++)
            multi[w] = (table[w] & 63) | (uint64_t)(table[w] >> 8) << 8 | UINT64_C(1) << 56;
        return;
    }
    if (shortest >= 2) { /* at most 5 codes in 11 bits: no entry reaches MULTI_MAX, a table per window width does */
        multi_levels(table, multi);
        return;
    }
    for (uint32_t w = 0; w < HUF_TABLE; w++) {
        uint64_t syms = 0;
        unsigned bits = 0, count = 0;
        while (count < MULTI_MAX) {
            const unsigned e = table[(w >> bits) & (HUF_TABLE - 1)];
            if ((e & 63) > HUF_MAX_LEN - bits) break; /* the code runs past the window */
            syms |= (uint64_t)(e >> 8) << (8 * ++count);
            bits += e & 63;
        }
        multi[w] = bits | syms | (uint64_t)count << 56;
    }
}

/*
 * In the multi-symbol loop a stream's place is one number, its bit address: the address of its next byte times 8
 * plus the bits of that byte already taken (addresses are below 2^61). A refill loads the 8 bytes there with a
 * marker bit in place of their top bit (a round reads at most bits s..s+54 of them, s <= 7 the bits taken of the
 * first byte), shifted down by s: the marker then sits above the valid bits, and once the round's lookups have
 * shifted the bits down, its count of leading zeros is s plus the bits they took, so the address moves on once per
 * round rather than once per lookup. Three registers per stream (bits, bit address, output), so that 4 streams fit
 * x86-64's 16.
 */
#if defined(__BMI2__)
#define WINDOW(b) _bzhi_u64((b), HUF_MAX_LEN) /* one instruction, where the AND needs a copy first */
#else
#define WINDOW(b) ((b) & (HUF_TABLE - 1))
#endif
#if defined(__LZCNT__)
#define LEADING_ZEROS(b) _lzcnt_u64(b)
#else
#define LEADING_ZEROS(b) (unsigned)__builtin_clzll(b)
#endif
#define MARKER (UINT64_C(1) << 63)
#define BIT_REFILL(b, a) ((b) = (ld64((const uint8_t *)(uintptr_t)((a) >> 3)) | MARKER) >> ((a)&7))
#define BIT_TAKEN(b, a) ((a) = ((a) & ~(uint64_t)7) + LEADING_ZEROS(b))

/* The symbols rotated down to bytes 0..5 and stored as 8 bytes (the caller leaves room; 6 and 7 are written over
 * later); with BMI2 the rotation is one rorx and the shift shrx. */
#define BIT_DECODE(b, o)                                                                                               \
    do {                                                                                                               \
        const uint64_t e_ = multi[WINDOW(b)];                                                                          \
        st64((o), e_ >> 8 | e_ << 56);                                                                                 \
        (o) += e_ >> 56;                                                                                               \
        (b) >>= e_ & 63;                                                                                               \
    } while (0)

/* The last symbols of one stream, with a careful refill near its end; then the stream must end exactly. */
static int finish_stream(huf_reader *r, uint8_t *o, uint64_t left, const uint16_t *table) {
    huf_reader s = *r;
    s.buf &= (UINT64_C(1) << s.bc) - 1; /* bc <= 63 */
    while (left) {
        if (s.bc < HUF_MAX_LEN) {
            if (s.end - s.p >= 8) {
                REFILL(s);
            } else {
                if (((uint64_t)(s.p - s.start) + s.virt) * 8 - s.bc > (uint64_t)(s.end - s.start) * 8)
                    return 0; /* already past its end: corrupt, whatever follows */
                while (s.bc <= 56) {
                    if (s.p < s.end) s.buf |= (uint64_t)*s.p++ << s.bc;
                    else s.virt++;
                    s.bc += 8;
                }
            }
        }
        DECODE(s, o);
        left--;
    }
    const uint64_t size = (uint64_t)(s.end - s.start);
    const uint64_t consumed = ((uint64_t)(s.p - s.start) + s.virt) * 8 - s.bc;
    if (consumed / 8 + (consumed % 8 != 0) != size) return 0;          /* short of its bytes, or past them */
    if (consumed % 8 && s.start[size - 1] >> (consumed % 8)) return 0; /* padding bits must be 0 */
    return 1;
}

static inline uint64_t min_rounds(uint64_t a, uint64_t b) { return a < b ? a : b; }

/*
 * The rounds of 5 lookups of up to 6 symbols that cannot store past `end`: a round moves on by 30 bytes at most,
 * and its last store, 8 bytes, starts 24 bytes on at most: r rounds need 30 r + 2 bytes.
 */
static inline uint64_t output_rounds(const uint8_t *o, const uint8_t *end) {
    return end - o < 32 ? 0 : (uint64_t)(end - o - 2) / (5 * MULTI_MAX);
}

/* The refills a stream can take with 8 bytes to read at each: 7 bytes on at most per refill. */
static inline uint64_t input_rounds(huf_reader r) { return r.end - r.p < 8 ? 0 : (uint64_t)(r.end - r.p - 8) / 7 + 1; }

/*
 * The 4 streams interleaved, 5 lookups of up to 6 symbols each per round (55 bits at most after a refill), in runs
 * of rounds that stay in every segment and in every stream (a refill reads 8 bytes and moves on by 7 at most): no
 * checks inside them. Readers start fresh and are left with their place for finish_stream. (noinline: its own
 * registers.)
 */
__attribute__((noinline)) static void decode_multi(huf_reader r[HUF_STREAMS], uint8_t *o[HUF_STREAMS],
                                                   uint8_t *const end[HUF_STREAMS], const uint64_t *multi) {
    uint8_t *o0 = o[0], *o1 = o[1], *o2 = o[2], *o3 = o[3];
    uint64_t a0 = (uintptr_t)r[0].p * (uint64_t)8, a1 = (uintptr_t)r[1].p * (uint64_t)8;
    uint64_t a2 = (uintptr_t)r[2].p * (uint64_t)8, a3 = (uintptr_t)r[3].p * (uint64_t)8;
    for (;;) {
        r[0].p = (const uint8_t *)(uintptr_t)(a0 >> 3);
        r[1].p = (const uint8_t *)(uintptr_t)(a1 >> 3);
        r[2].p = (const uint8_t *)(uintptr_t)(a2 >> 3);
        r[3].p = (const uint8_t *)(uintptr_t)(a3 >> 3);
        uint64_t rounds = min_rounds(output_rounds(o0, end[0]), output_rounds(o1, end[1]));
        rounds = min_rounds(rounds, min_rounds(output_rounds(o2, end[2]), output_rounds(o3, end[3])));
        rounds = min_rounds(rounds, min_rounds(input_rounds(r[0]), input_rounds(r[1])));
        rounds = min_rounds(rounds, min_rounds(input_rounds(r[2]), input_rounds(r[3])));
        if (!rounds) break;
        do {
            uint64_t b0, b1, b2, b3;
            BIT_REFILL(b0, a0);
            BIT_REFILL(b1, a1);
            BIT_REFILL(b2, a2);
            BIT_REFILL(b3, a3);
            for (int k = 0; k < 5; k++) {
                BIT_DECODE(b0, o0);
                BIT_DECODE(b1, o1);
                BIT_DECODE(b2, o2);
                BIT_DECODE(b3, o3);
            }
            BIT_TAKEN(b0, a0);
            BIT_TAKEN(b1, a1);
            BIT_TAKEN(b2, a2);
            BIT_TAKEN(b3, a3);
        } while (--rounds);
    }
    o[0] = o0;
    o[1] = o1;
    o[2] = o2;
    o[3] = o3;
    uint64_t a[HUF_STREAMS] = {a0, a1, a2, a3};
    /* The first stream to near its end stops the 4: the others, up to a few percent of their symbols behind, go
     * on one at a time, still several symbols per lookup. */
    for (int i = 0; i < HUF_STREAMS; i++) {
        uint8_t *oi = o[i];
        uint64_t ai = a[i], rounds;
        while ((r[i].p = (const uint8_t *)(uintptr_t)(ai >> 3)),
               (rounds = min_rounds(output_rounds(oi, end[i]), input_rounds(r[i])))) {
            do {
                uint64_t b;
                BIT_REFILL(b, ai);
                for (int k = 0; k < 5; k++) BIT_DECODE(b, oi);
                BIT_TAKEN(b, ai);
            } while (--rounds);
        }
        o[i] = oi;
        a[i] = ai;
    }
    for (int i = 0; i < HUF_STREAMS; i++) { /* the bits left of a byte begun: the byte is in the stream */
        const unsigned taken = (unsigned)(a[i] & 7);
        if (taken) {
            r[i].buf = (uint64_t)*r[i].p++ >> taken;
            r[i].bc = 8 - taken;
        }
    }
}

static int64_t huffman_decode(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n) {
    if (src_len < 2) return ELFZ_E_CORRUPT;
    const int last = src[1];
    const uint64_t header = HUF_FIXED + (uint64_t)(last + 2) / 2;
    if (src_len < header) return ELFZ_E_CORRUPT;
    uint8_t len[256] = {0};
    uint32_t kraft = 0;
    int used = 0;
    for (int s = 0; s <= last; s++) {
        len[s] = (uint8_t)(src[2 + s / 2] >> (4 * (s & 1)) & 15);
        if (len[s] > HUF_MAX_LEN) return ELFZ_E_CORRUPT;
        if (len[s]) {
            used++;
            kraft += HUF_TABLE >> len[s];
        }
    }
    if (!(last & 1) && src[2 + last / 2] >> 4) return ELFZ_E_CORRUPT; /* the unused nibble */
    if (!len[last] || used < 2 || kraft != HUF_TABLE) return ELFZ_E_CORRUPT;
    const uint8_t *p = src + header - 12;
    uint64_t size[HUF_STREAMS], rest = src_len - header;
    for (int i = 0; i < 3; i++) {
        size[i] = ld32(p + 4 * i);
        if (size[i] > rest) return ELFZ_E_CORRUPT;
        rest -= size[i];
    }
    size[3] = rest;

    /* symbol << 8 | length for every 11-bit pattern: a code and every pattern that starts with it */
    uint32_t code[256];
    uint16_t table[HUF_TABLE];
    canonical_codes(len, code);
    for (int s = 0; s <= last; s++)
        if (len[s])
            for (uint32_t c = code[s]; c < HUF_TABLE; c += 1u << len[s]) table[c] = (uint16_t)(s << 8 | len[s]);

    uint64_t lo[HUF_STREAMS], cnt[HUF_STREAMS];
    segments(n, lo, cnt);
    huf_reader r[HUF_STREAMS];
    const uint8_t *at = src + header;
    for (int i = 0; i < HUF_STREAMS; i++) {
        r[i] = (huf_reader){at, at, at + size[i], 0, 0, 0};
        at += size[i];
    }

    /* The 4 streams interleaved, 5 lookups each per round, while every stream has 8 bytes to read and (with
     * the multi-symbol table) every segment room for the round's stores. */
    uint8_t *o[HUF_STREAMS] = {dst + lo[0], dst + lo[1], dst + lo[2], dst + lo[3]};
    if (n >= MULTI_MIN_PLANE) {
        uint64_t multi[HUF_TABLE];
        multi_table(table, multi);
        uint8_t *const end[HUF_STREAMS] = {o[0] + cnt[0], o[1] + cnt[1], o[2] + cnt[2], o[3] + cnt[3]};
        decode_multi(r, o, end, multi);
    } else {
        huf_reader r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
        uint8_t *o0 = o[0], *o1 = o[1], *o2 = o[2], *o3 = o[3];
        for (uint64_t rounds = cnt[3] / 5; rounds; rounds--) { /* segment 3 is the shortest */
            if (r0.end - r0.p < 8 || r1.end - r1.p < 8 || r2.end - r2.p < 8 || r3.end - r3.p < 8) break;
            REFILL(r0);
            REFILL(r1);
            REFILL(r2);
            REFILL(r3);
            for (int k = 0; k < 5; k++) {
                DECODE(r0, o0);
                DECODE(r1, o1);
                DECODE(r2, o2);
                DECODE(r3, o3);
            }
        }
        r[0] = r0;
        r[1] = r1;
        r[2] = r2;
        r[3] = r3;
        o[0] = o0;
        o[1] = o1;
        o[2] = o2;
        o[3] = o3;
    }
    int ok = 1;
    for (int i = 0; i < HUF_STREAMS; i++)
        ok &= finish_stream(&r[i], o[i], cnt[i] - (uint64_t)(o[i] - (dst + lo[i])), table);
    return ok ? ELFZ_OK : ELFZ_E_CORRUPT;
}

int64_t ENTROPY_FN(decode)(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n) {
    switch (src[0]) {
    case MODE_RAW:
        if (src_len != n + 1) return ELFZ_E_CORRUPT;
        if (n) memcpy(dst, src + 1, n);
        return ELFZ_OK;
    case MODE_CONSTANT:
        if (src_len != 2 || n == 0) return ELFZ_E_CORRUPT;
        memset(dst, src[1], n);
        return ELFZ_OK;
    case MODE_HUFFMAN: return huffman_decode(src, src_len, dst, n);
    default: return ELFZ_E_CORRUPT;
    }
}
