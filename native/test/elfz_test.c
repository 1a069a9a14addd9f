/*
 * C tests of the public API: every length 0..4096, odd alignments, every ISA against an independent
 * bit-by-bit reference (double arithmetic + explicit planar layout), mixed ISA round trips, edge values,
 * exception capacity, bad arguments, and guard bytes around every output.
 */
#include "elfz.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            if (failures++ < 20) {                                                                                     \
                fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                               \
                fprintf(stderr, __VA_ARGS__);                                                                          \
                fputc('\n', stderr);                                                                                   \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static const int VSIZE[4] = {4, 2, 2, 8};
static const int MANT[4] = {23, 10, 7, 52};
static const char *DNAME[4] = {"f32", "f16", "bf16", "f64"};

/* ---- deterministic random numbers (splitmix64) ---- */
static uint64_t rng_state = 42;
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double unit(void) { return (rnd() >> 11) * 0x1p-53; }
static double gauss(void) { return sqrt(-2 * log(unit() + 1e-300)) * cos(6.283185307179586 * unit()); }

/* ---- independent value conversions (no code shared with the library) ---- */
static uint64_t load(const uint8_t *p, int size) {
    uint64_t v = 0;
    for (int i = 0; i < size; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static void store(uint8_t *p, uint64_t v, int size) {
    for (int i = 0; i < size; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* value of a bit pattern as a double (exact for all four types); NaN for NaN, +-inf for inf */
static double to_double(int dt, uint64_t b) {
    int sign, e, ebits, mbits;
    uint64_t m;
    switch (dt) {
    case ELFZ_F32: {
        float f;
        uint32_t u = (uint32_t)b;
        memcpy(&f, &u, 4);
        return f;
    }
    case ELFZ_F64: {
        double d;
        memcpy(&d, &b, 8);
        return d;
    }
    case ELFZ_F16:
        ebits = 5;
        mbits = 10;
        break;
    default:
        ebits = 8;
        mbits = 7;
        break;
    }
    sign = (int)(b >> 15) & 1;
    e = (int)(b >> mbits) & ((1 << ebits) - 1);
    m = b & ((1u << mbits) - 1);
    int bias = (1 << (ebits - 1)) - 1;
    double v;
    if (e == (1 << ebits) - 1) v = m ? NAN : INFINITY;
    else if (e == 0) v = ldexp((double)m, 1 - bias - mbits);
    else v = ldexp((double)(m | (1u << mbits)), e - bias - mbits);
    return sign ? -v : v;
}
static uint64_t sign_bit(int dt, uint64_t b) { return b >> (VSIZE[dt] * 8 - 1) & 1; }

/* the ELF rule from first principles: q = rint(|x| 2^m) in double (exact), exception if q >= 2^m */
static int ref_code(int dt, uint64_t bits, uint64_t *code) {
    double a = fabs(to_double(dt, bits));
    if (isnan(a) || isinf(a)) return 0;
    double q = rint(ldexp(a, MANT[dt]));
    if (q >= ldexp(1.0, MANT[dt])) return 0;
    *code = sign_bit(dt, bits) << MANT[dt] | (uint64_t)q;
    return 1;
}

/* planar layout written bit by bit: byte planes MSB first, then the rest LSB-first */
static void ref_put(uint8_t *codes, uint64_t n, uint64_t i, uint64_t code, int w) {
    int planes = w / 8, r = w % 8;
    for (int p = 0; p < planes; p++) codes[p * n + i] = (uint8_t)(code >> (w - 8 * (p + 1)));
    for (int b = 0; b < r; b++) {
        uint64_t bit = i * r + b;
        if (code >> b & 1) codes[planes * n + bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
}

static uint64_t ref_code_bytes(int dt, uint64_t n) {
    int w = MANT[dt] + 1;
    return (w / 8) * n + (n * (w % 8) + 7) / 8;
}

/* ---- test data ---- */
static uint64_t weight_like(int dt) {
    double x;
    uint64_t r = rnd() % 1000;
    if (r < 3) return rnd() & ((dt == ELFZ_F64) ? ~0ull : (1ull << (VSIZE[dt] * 8)) - 1); /* any bits */
    if (r < 6) x = gauss() * 3;                                                           /* outliers */
    else if (r < 9) x = gauss() * 1e-6;                                                   /* tiny */
    else x = gauss() * 0.05;
    switch (dt) {
    case ELFZ_F32: {
        float f = (float)x;
        uint32_t u;
        memcpy(&u, &f, 4);
        return u;
    }
    case ELFZ_F64: {
        uint64_t u;
        memcpy(&u, &x, 8);
        return u;
    }
    case ELFZ_F16: { /* truncate a float to f16 bits (any f16 is fine: the test only needs variety) */
        float f = (float)x;
        uint32_t u;
        memcpy(&u, &f, 4);
        uint32_t s = u >> 31 << 15;
        int e = (int)(u >> 23 & 255) - 127 + 15;
        if (e <= 0) return s | (rnd() & 0x3ff) * (e == 0);
        if (e >= 31) return s | 0x7c00;
        return s | (uint32_t)e << 10 | (u >> 13 & 0x3ff);
    }
    default: {
        float f = (float)x;
        uint32_t u;
        memcpy(&u, &f, 4);
        return u >> 16;
    }
    }
}

/* values that sit on every boundary of the rule */
static const uint64_t EDGE_F32[] = {0x00000000, 0x80000000, 0x3f7fffff /* 0.99999994: rounds to 2 */,
                                    0x3f7ffffe, 0x3f800000, 0xbf800000,
                                    0x7f800000, 0xff800000, 0x7fc00000,
                                    0x7f800001, 0xffc12345, 0x00000001,
                                    0x80000001, 0x007fffff, 0x33800000 /* 2^-24: tie to 0 */,
                                    0x33800001, 0x34000000, 0x34400000 /* 1.5 * 2^-23: tie to even */,
                                    0xb3c00000, 0x3f000000, 0x7f7fffff,
                                    0x3effffff};
static const uint64_t EDGE_F16[] = {0x0000, 0x8000, 0x3bff /* 0.99951: rounds to 1 */,
                                    0x3bfe, 0x3c00, 0xbc00,
                                    0x7c00, 0xfc00, 0x7e00,
                                    0x7c01, 0xfe37, 0x0001,
                                    0x8001, 0x03ff, 0x1000 /* 2^-11: tie */,
                                    0x1001, 0x1200, 0x1400,
                                    0x3800, 0x7bff};
static const uint64_t EDGE_BF16[] = {
    0x0000, 0x8000, 0x3f7f /* 0.996: rounds to 1 */, 0x3f7e, 0x3f80, 0xbf80, 0x7f80, 0xff80, 0x7fc0, 0x7f81,
    0x0001, 0x8001, 0x3b80 /* 2^-8: tie */,          0x3b81, 0x3c40, 0x3f00, 0x7f7f};
static const uint64_t EDGE_F64[] = {0,
                                    0x8000000000000000ull,
                                    0x3fefffffffffffffull,
                                    0x3feffffffffffffeull,
                                    0x3ff0000000000000ull,
                                    0xbff0000000000000ull,
                                    0x7ff0000000000000ull,
                                    0xfff0000000000000ull,
                                    0x7ff8000000000000ull,
                                    0x7ff0000000000001ull,
                                    1,
                                    0x8000000000000001ull,
                                    0x3ca0000000000000ull,
                                    0x3ca0000000000001ull,
                                    0x3cb8000000000000ull,
                                    0x3fe0000000000000ull};

static const uint64_t *edges(int dt, size_t *count) {
    switch (dt) {
    case ELFZ_F32: *count = sizeof EDGE_F32 / 8; return EDGE_F32;
    case ELFZ_F16: *count = sizeof EDGE_F16 / 8; return EDGE_F16;
    case ELFZ_BF16: *count = sizeof EDGE_BF16 / 8; return EDGE_BF16;
    default: *count = sizeof EDGE_F64 / 8; return EDGE_F64;
    }
}

#define GUARD 64
#define CANARY 0xa5

static uint8_t *guarded(size_t size) {
    uint8_t *p = malloc(size + 2 * GUARD + 8);
    memset(p, CANARY, size + 2 * GUARD + 8);
    return p + GUARD;
}
static int intact(const uint8_t *p, size_t size) {
    for (size_t i = 1; i <= GUARD; i++)
        if (p[-(ptrdiff_t)i] != CANARY || p[size + i - 1] != CANARY) return 0;
    return 1;
}
static void release(uint8_t *p) { free(p - GUARD); }

static int isa_count(void) { return elfz_isa_supported() + 1; }

/*
 * Encodes src (n values at an offset `shift` bytes past an aligned buffer) with every ISA, checks the bytes
 * against the reference, decodes with every ISA and checks values, exceptions and guards.
 */
static void check_block(int dt, const uint64_t *vals, uint64_t n, int shift) {
    const int vs = VSIZE[dt], w = MANT[dt] + 1;
    const uint64_t cb = ref_code_bytes(dt, n);
    CHECK(elfz_elf_code_bytes(dt, n) == (int64_t)cb, "%s n=%llu code bytes", DNAME[dt], (unsigned long long)n);

    uint8_t *src = guarded(n * vs + shift) + shift;
    for (uint64_t i = 0; i < n; i++) store(src + i * vs, vals[i], vs);

    /* reference codes and exceptions */
    uint8_t *ref = calloc(cb + 1, 1);
    uint64_t *ref_pos = malloc((n + 1) * 8), ref_exc = 0, base = rnd() % 1000;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t code;
        if (ref_code(dt, vals[i], &code)) ref_put(ref, n, i, code, w);
        else ref_pos[ref_exc++] = base + i;
    }

    uint8_t *first_codes = NULL;
    for (int enc = 0; enc < isa_count(); enc++) {
        CHECK(elfz_isa_select(enc) == enc, "select %d", enc);
        uint8_t *codes = guarded(cb + shift) + shift;
        uint64_t *pos = (uint64_t *)guarded((n + 1) * 8);
        uint8_t *bits = guarded((n + 1) * vs);
        int64_t ne = elfz_elf_encode(dt, src, n, codes, cb, pos, bits, n, base);
        CHECK(ne == (int64_t)ref_exc, "%s n=%llu isa=%s exceptions %lld want %llu", DNAME[dt], (unsigned long long)n,
              elfz_isa_name(enc), (long long)ne, (unsigned long long)ref_exc);
        CHECK(memcmp(codes, ref, cb) == 0, "%s n=%llu isa=%s shift=%d codes differ from reference", DNAME[dt],
              (unsigned long long)n, elfz_isa_name(enc), shift);
        CHECK(ne < 0 || memcmp(pos, ref_pos, (size_t)ne * 8) == 0, "%s n=%llu exception positions", DNAME[dt],
              (unsigned long long)n);
        for (int64_t i = 0; i < ne && i < (int64_t)ref_exc; i++)
            CHECK(load(bits + i * vs, vs) == vals[ref_pos[i] - base], "%s exception bits", DNAME[dt]);
        CHECK(intact(codes - shift, cb + shift) && intact((uint8_t *)pos, (n + 1) * 8) && intact(bits, (n + 1) * vs),
              "%s n=%llu isa=%s wrote outside its buffers", DNAME[dt], (unsigned long long)n, elfz_isa_name(enc));

        /* decode with every ISA (mixed: avx2 encode -> scalar decode and back) */
        for (int dec = 0; dec < isa_count(); dec++) {
            elfz_isa_select(dec);
            uint8_t *out = guarded(n * vs + shift) + shift;
            int64_t r = elfz_elf_decode(dt, codes, cb, n, out, n * vs, pos, bits, (uint64_t)(ne > 0 ? ne : 0), base);
            CHECK(r == (int64_t)n, "%s decode returned %lld", DNAME[dt], (long long)r);
            for (uint64_t i = 0; i < n; i++) {
                uint64_t got = load(out + i * vs, vs), code;
                if (!ref_code(dt, vals[i], &code)) {
                    CHECK(got == vals[i], "%s exception %llu not restored", DNAME[dt], (unsigned long long)i);
                    continue;
                }
                double x = to_double(dt, vals[i]), y = to_double(dt, got);
                CHECK(sign_bit(dt, got) == sign_bit(dt, vals[i]), "%s sign of %g lost", DNAME[dt], x);
                CHECK(fabs(x - y) <= ldexp(1.0, -(MANT[dt] + 1)), "%s %g decoded as %g: over the bound", DNAME[dt], x,
                      y);
                CHECK(y == (sign_bit(dt, got) ? -1 : 1) * ldexp((double)(code & ((1ull << MANT[dt]) - 1)), -MANT[dt]),
                      "%s %g decoded as %g, not the grid value", DNAME[dt], x, y);
            }
            CHECK(intact(out - shift, n * vs + shift), "%s decode wrote outside dst", DNAME[dt]);
            release(out - shift);
        }
        if (first_codes == NULL) {
            first_codes = malloc(cb + 1);
            memcpy(first_codes, codes, cb);
        } else {
            CHECK(memcmp(first_codes, codes, cb) == 0, "%s ISAs differ", DNAME[dt]);
        }
        release(codes - shift);
        release((uint8_t *)pos);
        release(bits);
    }
    elfz_isa_select(elfz_isa_supported());
    free(first_codes);
    free(ref);
    free(ref_pos);
    release(src - shift);
}

static void test_lengths(void) {
    uint64_t *vals = malloc(4097 * 8);
    for (int dt = 0; dt < 4; dt++) {
        for (uint64_t n = 0; n <= 4096; n++) {
            for (uint64_t i = 0; i < n; i++) vals[i] = weight_like(dt);
            check_block(dt, vals, n, (int)(n % 8));
        }
    }
    free(vals);
}

static void test_edges(void) {
    uint64_t vals[256];
    for (int dt = 0; dt < 4; dt++) {
        size_t count;
        const uint64_t *e = edges(dt, &count);
        /* every edge value at every lane position of a group of 8, with and without a tail */
        for (uint64_t n = 1; n <= 40; n++) {
            for (uint64_t i = 0; i < n; i++) vals[i] = e[(i * 7 + n) % count];
            check_block(dt, vals, n, 3);
        }
        /* every bit pattern of the 16-bit types */
        if (VSIZE[dt] == 2) {
            uint64_t *all = malloc(65536 * 8);
            for (uint64_t i = 0; i < 65536; i++) all[i] = i;
            check_block(dt, all, 65536, 1);
            free(all);
        }
    }
    /* every f32 bit pattern just below 1.0 and around the 2^-24 rounding step */
    uint64_t *near = malloc(4096 * 8);
    for (uint64_t i = 0; i < 4096; i++)
        near[i] = (i < 2048 ? 0x3f7fffffu - i : 0x33800000u - 1024 + (i - 2048)) | (i & 1) << 31;
    check_block(ELFZ_F32, near, 4096, 5);
    free(near);
}

static void test_capacity_and_errors(void) {
    float src[64];
    for (int i = 0; i < 64; i++) src[i] = (i % 4 == 0) ? 2.0f + i : 0.01f * i;
    uint8_t codes[256];
    uint64_t pos[64];
    uint32_t bits[64];
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        /* more exceptions than room: the count is still right and only cap are stored */
        memset(pos, 0xff, sizeof pos);
        CHECK(elfz_elf_encode(ELFZ_F32, src, 64, codes, sizeof codes, pos, bits, 5, 0) == 16, "count past cap");
        CHECK(pos[4] == 16 && pos[5] == UINT64_MAX, "cap respected");
        CHECK(elfz_elf_encode(ELFZ_F32, src, 64, codes, sizeof codes, NULL, NULL, 0, 0) == 16, "count only");
    }
    elfz_isa_select(elfz_isa_supported());
    CHECK(elfz_elf_encode(ELFZ_F32, src, 64, codes, 191, pos, bits, 64, 0) == ELFZ_E_CAPACITY, "codes cap");
    CHECK(elfz_elf_encode(ELFZ_F32, NULL, 64, codes, 192, pos, bits, 64, 0) == ELFZ_E_NULL, "null src");
    CHECK(elfz_elf_encode(ELFZ_F32, src, 64, codes, 192, NULL, bits, 64, 0) == ELFZ_E_NULL, "null pos");
    CHECK(elfz_elf_encode(7, src, 64, codes, 192, pos, bits, 64, 0) == ELFZ_E_ARG, "bad dtype");
    CHECK(elfz_elf_encode(-1, src, 64, codes, 192, pos, bits, 64, 0) == ELFZ_E_ARG, "negative dtype");
    CHECK(elfz_elf_encode(ELFZ_F32, src, UINT64_MAX, codes, 192, pos, bits, 64, 0) == ELFZ_E_ARG, "huge n");
    CHECK(elfz_elf_encode(ELFZ_F32, src, 64, codes, 192, pos, bits, 64, UINT64_MAX - 10) == ELFZ_E_ARG,
          "base overflow");
    CHECK(elfz_elf_encode(ELFZ_F32, NULL, 0, NULL, 0, NULL, NULL, 0, 0) == 0, "empty");

    int64_t ne = elfz_elf_encode(ELFZ_F32, src, 64, codes, 192, pos, bits, 64, 100);
    CHECK(ne == 16, "encode");
    float out[64];
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 191, 64, out, sizeof out, pos, bits, 16, 100) == ELFZ_E_TRUNCATED,
          "short codes");
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out - 1, pos, bits, 16, 100) == ELFZ_E_CAPACITY,
          "short dst");
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out, pos, bits, 16, 101) == ELFZ_E_CORRUPT,
          "pos below base");
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out, pos, bits, 16, 0) == ELFZ_E_CORRUPT,
          "pos past end");
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out, pos, bits, 65, 100) == ELFZ_E_CORRUPT, "too many");
    uint64_t swapped = pos[3];
    pos[3] = pos[2];
    memset(out, 0x5a, sizeof out);
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out, pos, bits, 16, 100) == ELFZ_E_CORRUPT, "repeat");
    CHECK(((uint8_t *)out)[0] == 0x5a, "no output written before the positions were checked");
    pos[3] = swapped;
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out, pos, NULL, 16, 100) == ELFZ_E_NULL, "null bits");
    CHECK(elfz_elf_decode(ELFZ_F32, codes, 192, 64, out, sizeof out, pos, bits, 16, 100) == 64, "decode");
    CHECK(memcmp(out, src, sizeof out) != 0 && out[0] == src[0] && out[4] == src[4], "exceptions restored");

    uint8_t c[16] = {0}, p[16];
    CHECK(elfz_pack_bits(c, 16, 0, p, 16) == ELFZ_E_ARG, "width 0");
    CHECK(elfz_pack_bits(c, 16, 9, p, 16) == ELFZ_E_ARG, "width 9");
    CHECK(elfz_pack_bits(c, 16, 3, p, 5) == ELFZ_E_CAPACITY, "pack cap");
    CHECK(elfz_pack_bits(c, 16, 3, p, 6) == 6, "pack size");
    CHECK(elfz_unpack_bits(p, 5, 16, 3, c, 16) == ELFZ_E_TRUNCATED, "unpack short");
    CHECK(elfz_unpack_bits(p, 6, 16, 3, c, 15) == ELFZ_E_CAPACITY, "unpack cap");
    CHECK(elfz_unpack_bits(NULL, 6, 16, 3, c, 16) == ELFZ_E_NULL, "unpack null");

    CHECK(strcmp(elfz_status_message(ELFZ_E_CORRUPT), "ok") != 0, "messages");
    CHECK(strcmp(elfz_status_message(-99), "unknown status") == 0, "unknown message");
    CHECK(elfz_isa_select(99) == ELFZ_E_ARG, "select bad isa");
    CHECK(elfz_isa_select(-1) == ELFZ_E_ARG, "select negative isa");
    CHECK(elfz_isa_supported() == ELFZ_ISA_AVX512 || elfz_isa_select(ELFZ_ISA_AVX512) == ELFZ_E_UNSUPPORTED,
          "an ISA the CPU lacks is refused");
    elfz_isa_select(elfz_isa_supported());
    CHECK(elfz_elf_code_width(ELFZ_F16) == 11 && elfz_elf_code_width(ELFZ_F64) == 53, "widths");
    CHECK(elfz_version() == (ELFZ_VERSION_MAJOR << 16 | ELFZ_VERSION_MINOR << 8 | ELFZ_VERSION_PATCH), "version");
}

/* bit-by-bit reference for LSB-first packing */
static void test_pack(void) {
    uint8_t *codes = malloc(4100), *back = malloc(4100), *ref = malloc(4100);
    for (int width = 1; width <= 8; width++) {
        for (uint64_t n = 0; n <= 4096; n += (n < 600 ? 1 : 97)) {
            for (uint64_t i = 0; i < n; i++) codes[i] = (uint8_t)rnd(); /* high bits must be ignored */
            uint64_t bytes = (n * width + 7) / 8;
            memset(ref, 0, bytes + 1);
            for (uint64_t i = 0; i < n; i++)
                for (int b = 0; b < width; b++)
                    if (codes[i] >> b & 1) ref[(i * width + b) / 8] |= (uint8_t)(1u << ((i * width + b) % 8));
            for (int isa = 0; isa < isa_count(); isa++) {
                elfz_isa_select(isa);
                int shift = (int)(n % 5);
                uint8_t *dst = guarded(bytes + shift) + shift;
                CHECK(elfz_pack_bits(codes, n, width, dst, bytes) == (int64_t)bytes, "pack bytes");
                CHECK(memcmp(dst, ref, bytes) == 0, "pack w=%d n=%llu isa=%s differs from reference", width,
                      (unsigned long long)n, elfz_isa_name(isa));
                CHECK(intact(dst - shift, bytes + shift), "pack wrote outside dst");
                for (int dec = 0; dec < isa_count(); dec++) {
                    elfz_isa_select(dec);
                    uint8_t *out = guarded(n + 1);
                    CHECK(elfz_unpack_bits(dst, bytes, n, width, out, n) == (int64_t)n, "unpack count");
                    for (uint64_t i = 0; i < n; i++)
                        CHECK(out[i] == (codes[i] & ((1u << width) - 1)), "unpack w=%d n=%llu i=%llu", width,
                              (unsigned long long)n, (unsigned long long)i);
                    CHECK(intact(out, n), "unpack wrote outside codes");
                    release(out);
                }
                release(dst - shift);
            }
        }
    }
    elfz_isa_select(elfz_isa_supported());
    free(codes);
    free(back);
    free(ref);
}

/* ---- quantization: an oracle written from elfz.h's formulas (the reference's clamp, rounding in double) ---- */

/* float32 -> bits of the dtype, half to even, found with frexp and rint in double; NaN as elfz.h says */
static uint64_t ref_round(int dt, float v) {
    uint32_t b;
    memcpy(&b, &v, 4);
    if (dt == ELFZ_F32) return b;
    if (dt == ELFZ_F64) {
        double d = v;
        uint64_t u;
        memcpy(&u, &d, 8);
        return u;
    }
    const int mbits = MANT[dt], emax = dt == ELFZ_F16 ? 15 : 127, emin = 1 - emax;
    const uint64_t sign = b >> 31 << 15, inf = (uint64_t)(2 * emax + 1) << mbits;
    if (isnan(v)) return dt == ELFZ_F16 ? sign | 0x7e00 | (b >> 13 & 0x3ff) : (b >> 16) | 0x40;
    double a = fabs((double)v);
    if (isinf(a)) return sign | inf;
    if (a < ldexp(1, emin)) return sign | (uint64_t)rint(ldexp(a, mbits - emin)); /* subnormal (or the least normal) */
    int e;
    frexp(a, &e);
    e -= 1; /* a in [2^e, 2^(e+1)) */
    double m = rint(ldexp(a, mbits - e));
    if (m == ldexp(1, mbits + 1)) {
        m /= 2;
        e++;
    }
    if (e > emax) return sign | inf;
    return sign | (uint64_t)(e + emax) << mbits | ((uint64_t)m - (1ull << mbits));
}

static uint8_t ref_quantize(int dt, uint64_t bits, float scale, int zero, int nbits) {
    const int qmin = -(1 << (nbits - 1)), qmax = (1 << (nbits - 1)) - 1;
    int q;
    if (dt == ELFZ_F64) {
        double r = rint(to_double(dt, bits) / (double)scale), lo = (double)qmin - zero, hi = (double)qmax - zero;
        q = isnan(r) ? qmin : (int)(r < lo ? lo : r > hi ? hi : r) + zero;
    } else {
        float r = rintf((float)to_double(dt, bits) / scale), lo = (float)(qmin - zero), hi = (float)(qmax - zero);
        q = isnan(r) ? qmin : (int)(r < lo ? lo : r > hi ? hi : r) + zero;
    }
    return (uint8_t)(q - qmin);
}

static uint64_t ref_dequantize(int dt, uint8_t code, float scale, int zero, int nbits) {
    int level = (code & ((1 << nbits) - 1)) - (1 << (nbits - 1)) - zero;
    if (dt == ELFZ_F64) {
        double d = level * (double)scale;
        uint64_t u;
        memcpy(&u, &d, 8);
        return u;
    }
    return ref_round(dt, (float)level * scale);
}

static float f32_from(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

/* A scale for a group: mostly a power of two or a random one near the data's range, sometimes an odd one. */
static float random_scale(int nbits) {
    static const uint32_t odd[] = {0x00000000, 0x80000000, 0x7fc00000, 0x7f800001, 0x7f800000,
                                   0xff800000, 0x00000001, 0x00400000, 0x7f7fffff, 0x0d800000 /* 2^-100 */};
    uint64_t r = rnd() % 16;
    if (r == 0) return f32_from(odd[rnd() % (sizeof odd / 4)]);
    float s = (float)(0.15 / (1 << (nbits - 1)));
    if (r < 8) return ldexpf(1.0f, (int)floor(log2(s)) + (int)(rnd() % 3) - 1);
    return s * (float)(0.5 + unit() * 1.5) * (r == 8 ? -1.0f : 1.0f);
}

/* A value of the dtype near a group's scale: ties (k + 1/2) * scale, weights, every edge value. */
static uint64_t random_value(int dt, float scale) {
    uint64_t r = rnd() % 16;
    if (r == 0) {
        size_t count;
        const uint64_t *e = edges(dt, &count);
        return e[rnd() % count];
    }
    if (r > 3) return weight_like(dt);
    double x = ((int)(rnd() % 600) - 300 + (r == 1 ? 0.5 : 0.0)) * (double)scale;
    if (r == 3) x *= 1e30; /* far out of range */
    switch (dt) {
    case ELFZ_F32: {
        float f = (float)x;
        uint32_t u;
        memcpy(&u, &f, 4);
        return u;
    }
    case ELFZ_F64: {
        uint64_t u;
        memcpy(&u, &x, 8);
        return u;
    }
    default: return ref_round(dt, (float)x);
    }
}

/* Quantizes and dequantizes one block with every ISA; checks every byte against the oracle and the guards. */
static void check_uniform(int dt, uint64_t n, uint64_t gs, uint64_t go, int nbits, int shift) {
    const int vs = VSIZE[dt];
    const uint64_t groups = n ? (go + n - 1) / gs + 1 : 0;
    float *scales = malloc(groups * 4 + 4);
    int8_t *zeros = malloc(groups + 1);
    for (uint64_t g = 0; g < groups; g++) {
        scales[g] = random_scale(nbits);
        zeros[g] = (int8_t)(rnd() % 4 ? (int)(rnd() % (1u << nbits)) - (1 << (nbits - 1)) : (int)(rnd() % 256) - 128);
    }
    uint8_t *src = guarded(n * vs + shift) + shift, *codes_in = malloc(n + 1), *want = malloc(n + 1);
    uint64_t *vals = malloc(n * 8 + 8), *want_x = malloc(n * 8 + 8);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t g = (go + i) / gs;
        vals[i] = random_value(dt, scales[g]);
        store(src + i * vs, vals[i], vs);
        want[i] = ref_quantize(dt, vals[i], scales[g], zeros[g], nbits);
        codes_in[i] = (uint8_t)rnd(); /* high bits must be ignored */
        want_x[i] = ref_dequantize(dt, codes_in[i], scales[g], zeros[g], nbits);
    }
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        uint8_t *codes = guarded(n + shift) + shift, *out = guarded(n * vs + shift) + shift;
        CHECK(elfz_quantize(dt, src, n, gs, go, scales, zeros, nbits, codes) == ELFZ_OK, "quantize status");
        for (uint64_t i = 0; i < n; i++) {
            if (codes[i] == want[i]) continue;
            uint64_t g = (go + i) / gs;
            CHECK(0, "%s quantize isa=%s n=%llu bits=%d group %llu+%llu i=%llu x=%llx scale=%a zero=%d: %d want %d",
                  DNAME[dt], elfz_isa_name(isa), (unsigned long long)n, nbits, (unsigned long long)gs,
                  (unsigned long long)go, (unsigned long long)i, (unsigned long long)vals[i], scales[g], zeros[g],
                  codes[i], want[i]);
            break;
        }
        CHECK(elfz_dequantize(dt, codes_in, n, gs, go, scales, zeros, nbits, out) == ELFZ_OK, "dequantize status");
        for (uint64_t i = 0; i < n; i++) {
            if (load(out + i * vs, vs) == want_x[i]) continue;
            uint64_t g = (go + i) / gs;
            CHECK(0, "%s dequantize isa=%s n=%llu bits=%d i=%llu code=%d scale=%a zero=%d: %llx want %llx", DNAME[dt],
                  elfz_isa_name(isa), (unsigned long long)n, nbits, (unsigned long long)i, codes_in[i], scales[g],
                  zeros[g], (unsigned long long)load(out + i * vs, vs), (unsigned long long)want_x[i]);
            break;
        }
        CHECK(intact(codes - shift, n + shift) && intact(out - shift, n * vs + shift),
              "%s quantization isa=%s n=%llu wrote outside its buffers", DNAME[dt], elfz_isa_name(isa),
              (unsigned long long)n);
        release(codes - shift);
        release(out - shift);
    }
    elfz_isa_select(elfz_isa_supported());
    release(src - shift);
    free(scales), free(zeros), free(codes_in), free(want), free(vals), free(want_x);
}

/* Bounds: sorted, or shuffled, with repeats, +-0, +-Inf and NaN mixed in now and then. */
static void random_bounds(float *b, int count, int messy) {
    float x = -0.3f;
    for (int j = 0; j < count; j++) b[j] = x += (float)(unit() * 0.6 / (count + 1)) * (rnd() % 8 != 0);
    if (!messy) return;
    static const uint32_t odd[] = {0x00000000, 0x80000000, 0x7fc00000, 0x7f800000, 0xff800000, 0x00000001};
    for (int j = 0; j < count; j++) {
        int k = (int)(rnd() % (uint64_t)count);
        float t = b[j];
        b[j] = b[k], b[k] = t;
        if (rnd() % 8 == 0) b[j] = f32_from(odd[rnd() % 6]);
    }
}

static void check_codebook(int dt, uint64_t n, int n_bounds, int nbits, int messy, int shift) {
    const int vs = VSIZE[dt];
    float bounds[256], table[256];
    random_bounds(bounds, n_bounds, messy);
    for (int k = 0; k < (1 << nbits); k++) /* any float32 bits, NaNs and values that round to Inf included */
        table[k] = rnd() % 4 ? (float)(gauss() * 0.1) : f32_from((uint32_t)rnd());
    uint8_t *src = guarded(n * vs + shift) + shift, *codes_in = malloc(n + 1), *want = malloc(n + 1);
    uint64_t *want_x = malloc(n * 8 + 8);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = rnd() % 8 == 0 && n_bounds ? ref_round(dt, bounds[rnd() % (uint64_t)n_bounds]) /* ties */
                                                : random_value(dt, 0.01f);
        store(src + i * vs, v, vs);
        double x = to_double(dt, v);
        int c = 0;
        for (int j = 0; j < n_bounds; j++) c += (double)bounds[j] < x; /* exact: a float32 is a double */
        want[i] = (uint8_t)c;
        codes_in[i] = (uint8_t)rnd();
        want_x[i] = ref_round(dt, table[codes_in[i] & ((1 << nbits) - 1)]);
    }
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        uint8_t *codes = guarded(n + shift) + shift, *out = guarded(n * vs + shift) + shift;
        CHECK(elfz_bucketize(dt, src, n, bounds, n_bounds, codes) == ELFZ_OK, "bucketize status");
        CHECK(memcmp(codes, want, n) == 0, "%s bucketize isa=%s n=%llu bounds=%d messy=%d differs", DNAME[dt],
              elfz_isa_name(isa), (unsigned long long)n, n_bounds, messy);
        CHECK(elfz_lookup(dt, codes_in, n, table, nbits, out) == ELFZ_OK, "lookup status");
        for (uint64_t i = 0; i < n; i++) {
            if (load(out + i * vs, vs) == want_x[i]) continue;
            CHECK(0, "%s lookup isa=%s n=%llu bits=%d i=%llu entry %a: %llx want %llx", DNAME[dt], elfz_isa_name(isa),
                  (unsigned long long)n, nbits, (unsigned long long)i, table[codes_in[i] & ((1 << nbits) - 1)],
                  (unsigned long long)load(out + i * vs, vs), (unsigned long long)want_x[i]);
            break;
        }
        CHECK(intact(codes - shift, n + shift) && intact(out - shift, n * vs + shift),
              "%s codebook isa=%s n=%llu wrote outside its buffers", DNAME[dt], elfz_isa_name(isa),
              (unsigned long long)n);
        release(codes - shift);
        release(out - shift);
    }
    elfz_isa_select(elfz_isa_supported());
    release(src - shift);
    free(codes_in), free(want), free(want_x);
}

/* Lengths 0..300 one by one, then a spread to 4096; every width; groups of 1, 3, 32, 1000 and n at offsets. */
static void test_quantization(void) {
    for (int dt = 0; dt < 4; dt++) {
        for (uint64_t n = 0; n <= 4096; n += n < 300 ? 1 : 179 + (n == 4040 ? -123 : 0)) {
            for (int nbits = 1; nbits <= 8; nbits++) {
                const uint64_t sizes[] = {1, 3, 32, 1000, n ? n : 1};
                for (int s = 0; s < 5; s++)
                    check_uniform(dt, n, sizes[s], (n * 7 + (uint64_t)nbits) % sizes[s], nbits, (int)(n % 4));
                int n_bounds = nbits == 8 ? (n % 3 ? 255 : 0) : (1 << nbits) - 1;
                check_codebook(dt, n, n_bounds, nbits, (int)(n % 2), (int)(n % 3));
            }
        }
    }
    /* the codes of exactly representable ties: rint(k + 1/2) is the even neighbour, -0.5 gives -0 */
    float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 7.4999995f, -8.5f}, one = 1.0f;
    uint8_t c[8];
    int8_t z = 0;
    CHECK(elfz_quantize(ELFZ_F32, x, 8, 8, 0, &one, &z, 8, c) == ELFZ_OK, "ties");
    const uint8_t want[8] = {128, 130, 130, 128, 126, 126, 135, 120};
    CHECK(memcmp(c, want, 8) == 0, "ties to even: %d %d %d %d %d %d %d %d", c[0], c[1], c[2], c[3], c[4], c[5], c[6],
          c[7]);
}

static void test_quantization_errors(void) {
    float src[16] = {0}, scales[2] = {1, 1}, bounds[2] = {0, 1};
    int8_t zeros[2] = {0, 0};
    uint8_t codes[16];
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 0, scales, zeros, 4, codes) == ELFZ_OK, "quantize ok");
    CHECK(elfz_quantize(4, src, 16, 8, 0, scales, zeros, 4, codes) == ELFZ_E_ARG, "dtype");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 0, scales, zeros, 0, codes) == ELFZ_E_ARG, "bits 0");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 0, scales, zeros, 9, codes) == ELFZ_E_ARG, "bits 9");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 0, 0, scales, zeros, 4, codes) == ELFZ_E_ARG, "group size 0");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 8, scales, zeros, 4, codes) == ELFZ_E_ARG, "offset = size");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, UINT64_MAX, UINT64_MAX - 2, scales, zeros, 4, codes) == ELFZ_E_ARG,
          "offset + n overflows");
    CHECK(elfz_quantize(ELFZ_F32, src, UINT64_MAX, 8, 0, scales, zeros, 4, codes) == ELFZ_E_ARG, "huge n");
    CHECK(elfz_quantize(ELFZ_F32, NULL, 16, 8, 0, scales, zeros, 4, codes) == ELFZ_E_NULL, "null src");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 0, NULL, zeros, 4, codes) == ELFZ_E_NULL, "null scales");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 0, scales, NULL, 4, codes) == ELFZ_E_NULL, "null zeros");
    CHECK(elfz_quantize(ELFZ_F32, src, 16, 8, 0, scales, zeros, 4, NULL) == ELFZ_E_NULL, "null codes");
    CHECK(elfz_quantize(ELFZ_F32, NULL, 0, 8, 0, NULL, NULL, 4, NULL) == ELFZ_OK, "empty");
    CHECK(elfz_dequantize(ELFZ_F32, codes, 16, 8, 0, scales, zeros, 4, src) == ELFZ_OK, "dequantize ok");
    CHECK(elfz_dequantize(-1, codes, 16, 8, 0, scales, zeros, 4, src) == ELFZ_E_ARG, "dtype");
    CHECK(elfz_dequantize(ELFZ_F32, codes, 16, 8, 9, scales, zeros, 4, src) == ELFZ_E_ARG, "offset");
    CHECK(elfz_dequantize(ELFZ_F32, codes, 16, 8, 0, scales, zeros, 9, src) == ELFZ_E_ARG, "bits");
    CHECK(elfz_dequantize(ELFZ_F32, codes, 16, 8, 0, scales, zeros, 4, NULL) == ELFZ_E_NULL, "null dst");
    CHECK(elfz_dequantize(ELFZ_F32, NULL, 0, 8, 0, NULL, NULL, 4, NULL) == ELFZ_OK, "empty");
    CHECK(elfz_bucketize(ELFZ_F32, src, 16, bounds, 2, codes) == ELFZ_OK, "bucketize ok");
    CHECK(elfz_bucketize(ELFZ_F32, src, 16, bounds, 256, codes) == ELFZ_E_ARG, "256 bounds");
    CHECK(elfz_bucketize(ELFZ_F32, src, 16, bounds, -1, codes) == ELFZ_E_ARG, "negative bounds");
    CHECK(elfz_bucketize(ELFZ_F32, src, 16, NULL, 2, codes) == ELFZ_E_NULL, "null bounds");
    CHECK(elfz_bucketize(ELFZ_F32, src, 16, NULL, 0, codes) == ELFZ_OK && codes[0] == 0, "no bounds");
    CHECK(elfz_bucketize(5, src, 16, bounds, 2, codes) == ELFZ_E_ARG, "dtype");
    CHECK(elfz_lookup(ELFZ_F32, codes, 16, bounds, 1, src) == ELFZ_OK, "lookup ok");
    CHECK(elfz_lookup(ELFZ_F32, codes, 16, bounds, 0, src) == ELFZ_E_ARG, "lookup bits 0");
    CHECK(elfz_lookup(ELFZ_F32, codes, 16, bounds, 9, src) == ELFZ_E_ARG, "lookup bits 9");
    CHECK(elfz_lookup(ELFZ_F32, codes, 16, NULL, 1, src) == ELFZ_E_NULL, "null table");
    CHECK(elfz_lookup(ELFZ_F32, NULL, 0, NULL, 1, NULL) == ELFZ_OK, "empty");
    CHECK(elfz_lookup(4, codes, 16, bounds, 1, src) == ELFZ_E_ARG, "dtype");
}

/* ---- byte planes: an oracle that rotates with explicit bit arithmetic and writes plane bytes one by one ---- */

static uint64_t ref_rotl(uint64_t v, int width) {
    const int bits = 8 * width;
    uint64_t top = v >> (bits - 1) & 1, out = 0;
    for (int b = bits - 1; b >= 1; b--) out |= (v >> (b - 1) & 1) << b; /* bit b-1 moves to b */
    return out | top;
}

static void check_planes(uint64_t n, int width, int rotate, int shift) {
    const uint64_t bytes = n * (uint64_t)width;
    uint8_t *src = guarded(bytes + shift) + shift, *ref = malloc(bytes + 1);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = rnd() % 8;
        uint64_t v = r == 0 ? 0 : r == 1 ? ~0ull : rnd();      /* all zero, all one, random bits */
        if (r == 2) v = 1ull << (8 * width - 1) | (rnd() & 1); /* sign bit alone */
        store(src + i * width, v, width);
        v = load(src + i * width, width);
        if (rotate) v = ref_rotl(v, width);
        for (int b = 0; b < width; b++) ref[b * n + i] = (uint8_t)(v >> (8 * b));
    }
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        uint8_t *planes = guarded(bytes + shift) + shift;
        CHECK(elfz_planes_split(src, n, width, rotate, planes, bytes) == (int64_t)bytes, "split returns bytes");
        CHECK(memcmp(planes, ref, bytes) == 0, "split w=%d rot=%d n=%llu isa=%s differs from reference", width, rotate,
              (unsigned long long)n, elfz_isa_name(isa));
        CHECK(intact(planes - shift, bytes + shift), "split w=%d n=%llu isa=%s wrote outside planes", width,
              (unsigned long long)n, elfz_isa_name(isa));
        for (int dec = 0; dec < isa_count(); dec++) {
            elfz_isa_select(dec);
            uint8_t *out = guarded(bytes + 1) + 1;
            CHECK(elfz_planes_join(planes, bytes, n, width, rotate, out, bytes) == (int64_t)n, "join returns n");
            CHECK(memcmp(out, src, bytes) == 0, "join w=%d rot=%d n=%llu isa=%s (split by %s) differs", width, rotate,
                  (unsigned long long)n, elfz_isa_name(dec), elfz_isa_name(isa));
            CHECK(intact(out - 1, bytes + 1), "join w=%d n=%llu wrote outside dst", width, (unsigned long long)n);
            release(out - 1);
        }
        release(planes - shift);
    }
    elfz_isa_select(elfz_isa_supported());
    release(src - shift);
    free(ref);
}

static void test_planes(void) {
    const int widths[3] = {2, 4, 8};
    for (int w = 0; w < 3; w++)
        for (int rotate = 0; rotate <= 1; rotate++) {
            for (uint64_t n = 0; n <= 300; n++) check_planes(n, widths[w], rotate, (int)(n % 7));
            const uint64_t big[] = {1000, 4096, 4099, 65536 + 31, 100003};
            for (int b = 0; b < 5; b++) check_planes(big[b], widths[w], rotate, b);
        }
    /* known bytes: f32 1.0f = 0x3f800000 rotated -> 0x7f000000; -2.0f = 0xc0000000 -> 0x80000001 */
    float f[2] = {1.0f, -2.0f};
    uint8_t p[8], want[8] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x80};
    CHECK(elfz_planes_split(f, 2, 4, 1, p, 8) == 8 && memcmp(p, want, 8) == 0, "f32 rotated planes");
    uint16_t h[3] = {0x3c00, 0xbc00, 0x0001}; /* f16 1.0, -1.0, least subnormal */
    uint8_t q[6], wanth[6] = {0x00, 0x01, 0x02, 0x78, 0x78, 0x00};
    CHECK(elfz_planes_split(h, 3, 2, 1, q, 6) == 6 && memcmp(q, wanth, 6) == 0, "f16 rotated planes");
    /* errors */
    CHECK(elfz_planes_split(f, 2, 3, 0, p, 8) == ELFZ_E_ARG, "width 3");
    CHECK(elfz_planes_split(f, 2, 16, 0, p, 8) == ELFZ_E_ARG, "width 16");
    CHECK(elfz_planes_split(f, 2, 4, 2, p, 8) == ELFZ_E_ARG, "rotate 2");
    CHECK(elfz_planes_split(f, UINT64_MAX / 4, 4, 0, p, 8) == ELFZ_E_ARG, "huge n");
    CHECK(elfz_planes_split(f, 2, 4, 0, p, 7) == ELFZ_E_CAPACITY, "split cap");
    CHECK(elfz_planes_split(NULL, 2, 4, 0, p, 8) == ELFZ_E_NULL, "split null src");
    CHECK(elfz_planes_split(f, 2, 4, 0, NULL, 8) == ELFZ_E_NULL, "split null planes");
    CHECK(elfz_planes_split(NULL, 0, 8, 1, NULL, 0) == 0, "split empty");
    CHECK(elfz_planes_join(p, 7, 2, 4, 0, f, 8) == ELFZ_E_TRUNCATED, "join short");
    CHECK(elfz_planes_join(p, 8, 2, 4, 0, f, 7) == ELFZ_E_CAPACITY, "join cap");
    CHECK(elfz_planes_join(p, 8, 2, 5, 0, f, 8) == ELFZ_E_ARG, "join width");
    CHECK(elfz_planes_join(p, 8, 2, 4, -1, f, 8) == ELFZ_E_ARG, "join rotate");
    CHECK(elfz_planes_join(NULL, 8, 2, 4, 0, f, 8) == ELFZ_E_NULL, "join null");
    CHECK(elfz_planes_join(NULL, 0, 0, 2, 0, NULL, 0) == 0, "join empty");
}

/* ---- grid codes: the rule of elfz.h written out in double, branch by branch ---- */

static double f32_value(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}
static double f64_value(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}
static uint64_t f64_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* 1 and the code when x is on the grid within the bound, else 0 (an exception). */
static int ref_grid_code(int dt, uint64_t bits, double step, double bound, uint32_t *code) {
    double x = dt == ELFZ_F32 ? f32_value((uint32_t)bits) : f64_value(bits);
    if (isnan(x) || isinf(x)) return 0;
    double q = rint(x / step);
    if (!(q >= -2147483647.0 && q <= 2147483647.0)) return 0;
    double y = q * step;
    if (dt == ELFZ_F32) y = (float)y;
    double err = y - x;
    if (err < 0) err = -err;
    if (!(err <= bound)) return 0;
    int64_t k = (int64_t)q;
    *code = (uint32_t)(k >= 0 ? 2 * k : -2 * k - 1);
    return 1;
}

static uint64_t ref_grid_value(int dt, uint32_t code, double step) {
    int64_t k = code % 2 ? -(int64_t)(code / 2) - 1 : (int64_t)(code / 2);
    double y = (double)k * step;
    return dt == ELFZ_F32 ? f32_bits((float)y) : f64_bits(y);
}

static uint64_t bits_of(int dt, double x) { return dt == ELFZ_F32 ? f32_bits((float)x) : f64_bits(x); }

/* A value for a grid of `step` and `bound`: weights, ties, bound edges, huge and odd values. */
static uint64_t grid_value(int dt, double step, double bound) {
    static const uint64_t odd32[] = {0x7fc00000, 0xffc00001, 0x7f800001, 0x7f800000, 0xff800000, 0x80000000, 0,
                                     0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff};
    static const uint64_t odd64[] = {0x7ff8000000000000ull,
                                     0xfff8deadbeef0001ull,
                                     0x7ff0000000000001ull,
                                     0x7ff0000000000000ull,
                                     0xfff0000000000000ull,
                                     0x8000000000000000ull,
                                     0,
                                     1,
                                     0x8000000000000001ull,
                                     0x000fffffffffffffull,
                                     0x0010000000000000ull,
                                     0x7fefffffffffffffull,
                                     0xffefffffffffffffull};
    double k = (double)((int64_t)(rnd() % 2001) - 1000), x;
    switch (rnd() % 12) {
    case 0: return dt == ELFZ_F32 ? odd32[rnd() % 13] : odd64[rnd() % 13];
    case 1: x = (k + 0.5) * step; break;                                      /* halfway between grid points */
    case 2: x = k * step + (rnd() % 2 ? bound : -bound); break;               /* at the bound */
    case 3: x = nextafter(k * step + bound, rnd() % 2 ? INFINITY : 0); break; /* just over or under it */
    case 4: x = nextafter(k * step - bound, rnd() % 2 ? -INFINITY : 0); break;
    case 5: /* around q = +-(2^31 - 1) */
        x = (2147483647.0 + (double)((int)(rnd() % 5) - 2) * 0.5) * step * (rnd() % 2 ? 1 : -1);
        if (rnd() % 2) x = nextafter(x, rnd() % 2 ? INFINITY : -INFINITY);
        break;
    case 6: x = gauss() * 1e30; break;
    case 7: x = gauss() * step * 1e-3; break; /* rounds to q = 0, -0.0 among them */
    default: x = gauss() * 0.05; break;
    }
    return bits_of(dt, x);
}

static void check_grid(int dt, uint64_t n, double step, double bound, int shift) {
    const int vs = VSIZE[dt];
    const uint64_t cb = 4 * n, base = rnd() % 1000;
    uint64_t *vals = malloc(n * 8 + 8), *ref_pos = malloc(n * 8 + 8), ref_exc = 0;
    uint8_t *src = guarded(n * vs + shift) + shift, *ref = calloc(cb + 1, 1);
    for (uint64_t i = 0; i < n; i++) {
        vals[i] = grid_value(dt, step, bound);
        store(src + i * vs, vals[i], vs);
        uint32_t code = 0;
        if (!ref_grid_code(dt, vals[i], step, bound, &code)) ref_pos[ref_exc++] = base + i;
        for (int b = 0; b < 4; b++) ref[b * n + i] = (uint8_t)(code >> (8 * b));
    }
    for (int enc = 0; enc < isa_count(); enc++) {
        elfz_isa_select(enc);
        uint8_t *codes = guarded(cb + shift) + shift, *bits = guarded((n + 1) * vs);
        uint64_t *pos = (uint64_t *)guarded((n + 1) * 8);
        int64_t ne = elfz_grid_encode(dt, src, n, step, bound, codes, cb, pos, bits, n, base);
        CHECK(ne == (int64_t)ref_exc, "grid %s n=%llu step=%a bound=%a isa=%s: %lld exceptions, want %llu", DNAME[dt],
              (unsigned long long)n, step, bound, elfz_isa_name(enc), (long long)ne, (unsigned long long)ref_exc);
        for (uint64_t i = 0; i < n; i++) {
            uint32_t got = 0, want = 0;
            for (int b = 0; b < 4; b++) {
                got |= (uint32_t)codes[b * n + i] << (8 * b);
                want |= (uint32_t)ref[b * n + i] << (8 * b);
            }
            if (got == want) continue;
            CHECK(0, "grid %s n=%llu step=%a bound=%a isa=%s value %llu (%llx): code %u, want %u", DNAME[dt],
                  (unsigned long long)n, step, bound, elfz_isa_name(enc), (unsigned long long)i,
                  (unsigned long long)vals[i], got, want);
            break;
        }
        CHECK(ne != (int64_t)ref_exc || memcmp(pos, ref_pos, ref_exc * 8) == 0, "grid %s exception positions",
              DNAME[dt]);
        for (uint64_t e = 0; ne == (int64_t)ref_exc && e < ref_exc; e++)
            CHECK(load(bits + e * vs, vs) == vals[ref_pos[e] - base], "grid %s exception bits", DNAME[dt]);
        CHECK(intact(codes - shift, cb + shift) && intact(bits, (n + 1) * vs) && intact((uint8_t *)pos, (n + 1) * 8),
              "grid %s n=%llu isa=%s wrote outside its buffers", DNAME[dt], (unsigned long long)n, elfz_isa_name(enc));
        for (int dec = 0; dec < isa_count(); dec++) {
            elfz_isa_select(dec);
            uint8_t *out = guarded(n * vs + 3) + 3;
            int64_t r = elfz_grid_decode(dt, codes, cb, n, step, out, n * vs, pos, bits, ref_exc, base);
            CHECK(r == (int64_t)n, "grid decode returned %lld", (long long)r);
            for (uint64_t i = 0; i < n; i++) {
                uint32_t code;
                uint64_t got = load(out + i * vs, vs);
                uint64_t want =
                    ref_grid_code(dt, vals[i], step, bound, &code) ? ref_grid_value(dt, code, step) : vals[i];
                if (got == want) continue;
                CHECK(0, "grid %s decode n=%llu step=%a isa=%s value %llu (%llx): %llx, want %llx", DNAME[dt],
                      (unsigned long long)n, step, elfz_isa_name(dec), (unsigned long long)i,
                      (unsigned long long)vals[i], (unsigned long long)got, (unsigned long long)want);
                break;
            }
            CHECK(intact(out - 3, n * vs + 3), "grid decode wrote outside dst");
            release(out - 3);
        }
        release(codes - shift), release(bits), release((uint8_t *)pos);
    }
    elfz_isa_select(elfz_isa_supported());
    release(src - shift);
    free(vals), free(ref_pos), free(ref);
}

/* Every code of the decoder's range, whatever the encoder makes: all 2^32 would take long, so a spread. */
static void check_grid_decode_any(int dt, double step) {
    const uint64_t n = 4099;
    const int vs = VSIZE[dt];
    uint8_t *codes = malloc(4 * n), *out = malloc(n * vs);
    uint32_t *c = malloc(n * 4);
    for (uint64_t i = 0; i < n; i++) {
        c[i] = i < 8 ? (uint32_t[]){0, 1, 2, 0xfffffffe, 0xffffffff, 0x80000000, 0x7fffffff, 0x80000001}[i]
                     : (uint32_t)rnd();
        for (int b = 0; b < 4; b++) codes[b * n + i] = (uint8_t)(c[i] >> (8 * b));
    }
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        CHECK(elfz_grid_decode(dt, codes, 4 * n, n, step, out, n * vs, NULL, NULL, 0, 0) == (int64_t)n, "decode any");
        for (uint64_t i = 0; i < n; i++) {
            if (load(out + i * vs, vs) == ref_grid_value(dt, c[i], step)) continue;
            CHECK(0, "grid %s decode of code %x step %a isa=%s", DNAME[dt], c[i], step, elfz_isa_name(isa));
            break;
        }
    }
    elfz_isa_select(elfz_isa_supported());
    free(codes), free(out), free(c);
}

static void test_grid(void) {
    /* steps: powers of two (exact ties), odd ones, tiny and huge; bounds: half a step and less, 0, more */
    const double steps[] = {0x1p-8, 0.0123, 1e-3 / 3, 0x1p-1074, 1e-300, 3.0, 1e300, 0x1.fffffffffffffp-1};
    const double bound_of_step[] = {0.5, 0.49, 0.25, 0, 2.0};
    for (int dt = 0; dt < 4; dt += 3) {
        for (uint64_t n = 0; n <= 300; n++) {
            double step = steps[n % 8], bound = step * bound_of_step[n % 5];
            check_grid(dt, n, step, bound, (int)(n % 5));
        }
        const uint64_t big[] = {1000, 4096, 4099, 65536 + 31, 100003};
        for (int b = 0; b < 5; b++) check_grid(dt, big[b], steps[b], steps[b] * bound_of_step[b], b);
        for (int s = 0; s < 8; s++) check_grid_decode_any(dt, steps[s]);
    }

    /* named values: -0.0 and tiny negatives are q = 0, code 0, +0.0 back; ties go to even q */
    float x[12] = {-0.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 0.7f, NAN, INFINITY, -INFINITY, 1e-40f, 3e9f};
    uint8_t codes[48], bits[48];
    uint64_t pos[12];
    CHECK(elfz_grid_encode(ELFZ_F32, x, 12, 1.0, 0.5, codes, 48, pos, bits, 12, 100) == 4,
          "named values: 4 exceptions");
    /* plane 0: zigzag of 0, 0 (0.5 ties to 0), 2, 2, 0 (-0.5 ties to -0), -2, 1 (0.7); exceptions and 1e-40: 0 */
    const uint8_t want0[12] = {0, 0, 4, 4, 0, 3, 2, 0, 0, 0, 0, 0};
    CHECK(memcmp(codes, want0, 12) == 0, "grid ties: %d %d %d %d %d %d %d", codes[0], codes[1], codes[2], codes[3],
          codes[4], codes[5], codes[6]);
    CHECK(pos[0] == 107 && pos[1] == 108 && pos[2] == 109 && pos[3] == 111, "NaN, +-Inf and 3e9 (q > 2^31 - 1)");
    float y[12];
    CHECK(elfz_grid_decode(ELFZ_F32, codes, 48, 12, 1.0, y, 48, pos, bits, 4, 100) == 12, "named decode");
    CHECK(f32_bits(y[0]) == 0 && y[3] == 2.0f && y[5] == -2.0f && isnan(y[7]) && y[8] == INFINITY && y[11] == 3e9f,
          "named values back");

    /* more exceptions than room: the count, and only the first exc_cap stored */
    double d[64];
    for (int i = 0; i < 64; i++) d[i] = i % 4 == 0 ? NAN : 0.01 * i;
    uint8_t c64[256];
    uint64_t p5[6];
    uint64_t b5[6];
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        memset(p5, 0xff, sizeof p5);
        memset(b5, 0xff, sizeof b5);
        CHECK(elfz_grid_encode(ELFZ_F64, d, 64, 0.01, 0.005, c64, 256, p5, b5, 5, 0) == 16, "grid count past cap");
        CHECK(p5[4] == 16 && p5[5] == UINT64_MAX && b5[5] == UINT64_MAX, "grid cap respected");
        CHECK(elfz_grid_encode(ELFZ_F64, d, 64, 0.01, 0.005, c64, 256, NULL, NULL, 0, 0) == 16, "grid count only");
    }
    elfz_isa_select(elfz_isa_supported());

    /* corrupt positions: refused before anything is written */
    double out[64];
    uint64_t pp[3] = {3, 3, 9};
    memset(out, 0x5a, sizeof out);
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 256, 64, 0.01, out, sizeof out, pp, b5, 2, 0) == ELFZ_E_CORRUPT, "repeat");
    pp[0] = 9, pp[1] = 3;
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 256, 64, 0.01, out, sizeof out, pp, b5, 2, 0) == ELFZ_E_CORRUPT, "order");
    pp[0] = 64;
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 256, 64, 0.01, out, sizeof out, pp, b5, 1, 0) == ELFZ_E_CORRUPT, "past n");
    pp[0] = 4;
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 256, 64, 0.01, out, sizeof out, pp, b5, 1, 5) == ELFZ_E_CORRUPT,
          "before base");
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 256, 64, 0.01, out, sizeof out, pp, b5, 65, 0) == ELFZ_E_CORRUPT,
          "n_exc > n");
    const uint8_t *o = (const uint8_t *)out;
    int untouched = 1;
    for (size_t i = 0; i < sizeof out; i++) untouched &= o[i] == 0x5a;
    CHECK(untouched, "a refused decode wrote nothing");

    /* bad arguments */
    CHECK(elfz_grid_encode(ELFZ_F16, d, 8, 0.01, 0.005, c64, 256, p5, b5, 5, 0) == ELFZ_E_ARG, "f16");
    CHECK(elfz_grid_encode(ELFZ_BF16, d, 8, 0.01, 0.005, c64, 256, p5, b5, 5, 0) == ELFZ_E_ARG, "bf16");
    CHECK(elfz_grid_encode(9, d, 8, 0.01, 0.005, c64, 256, p5, b5, 5, 0) == ELFZ_E_ARG, "dtype 9");
    const double bad_steps[] = {0, -0.0, -1, NAN, INFINITY};
    for (int s = 0; s < 5; s++) {
        CHECK(elfz_grid_encode(ELFZ_F64, d, 8, bad_steps[s], 0.005, c64, 256, p5, b5, 5, 0) == ELFZ_E_ARG, "step");
        CHECK(elfz_grid_decode(ELFZ_F64, c64, 256, 8, bad_steps[s], out, 512, NULL, NULL, 0, 0) == ELFZ_E_ARG, "step");
    }
    const double bad_bounds[] = {-1, -0x1p-1074, NAN, INFINITY};
    for (int b = 0; b < 4; b++)
        CHECK(elfz_grid_encode(ELFZ_F64, d, 8, 0.01, bad_bounds[b], c64, 256, p5, b5, 5, 0) == ELFZ_E_ARG, "bound");
    CHECK(elfz_grid_encode(ELFZ_F64, d, 8, 0.01, -0.0, c64, 256, p5, b5, 5, 0) >= 0, "bound -0.0 is 0");
    CHECK(elfz_grid_encode(ELFZ_F64, d, 8, 0.01, 0, c64, 31, p5, b5, 5, 0) == ELFZ_E_CAPACITY, "codes cap");
    CHECK(elfz_grid_encode(ELFZ_F64, NULL, 8, 0.01, 0, c64, 32, p5, b5, 5, 0) == ELFZ_E_NULL, "null src");
    CHECK(elfz_grid_encode(ELFZ_F64, d, 8, 0.01, 0, c64, 32, NULL, b5, 5, 0) == ELFZ_E_NULL, "null pos");
    CHECK(elfz_grid_encode(ELFZ_F64, d, UINT64_MAX, 0.01, 0, c64, 32, p5, b5, 5, 0) == ELFZ_E_ARG, "huge n");
    CHECK(elfz_grid_encode(ELFZ_F64, d, 8, 0.01, 0, c64, 32, p5, b5, 5, UINT64_MAX - 3) == ELFZ_E_ARG, "base");
    CHECK(elfz_grid_encode(ELFZ_F32, NULL, 0, 1, 0, NULL, 0, NULL, NULL, 0, 0) == 0, "grid empty");
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 31, 8, 0.01, out, 64, NULL, NULL, 0, 0) == ELFZ_E_TRUNCATED, "codes short");
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 32, 8, 0.01, out, 63, NULL, NULL, 0, 0) == ELFZ_E_CAPACITY, "dst cap");
    CHECK(elfz_grid_decode(ELFZ_F32, c64, 32, 8, 0.01, out, 31, NULL, NULL, 0, 0) == ELFZ_E_CAPACITY, "f32 dst cap");
    CHECK(elfz_grid_decode(ELFZ_F64, c64, 32, 8, 0.01, out, 64, NULL, b5, 1, 0) == ELFZ_E_NULL, "null exc");
    CHECK(elfz_grid_decode(ELFZ_F16, c64, 32, 8, 0.01, out, 64, NULL, NULL, 0, 0) == ELFZ_E_ARG, "decode f16");
    CHECK(elfz_grid_decode(ELFZ_F32, NULL, 0, 0, 1, NULL, 0, NULL, NULL, 0, 0) == 0, "grid decode empty");
}

/* ---- entropy planes: an independent reader of the format (bit by bit, no tables), and the rules ---- */

/* Reads a plane as FORMAT.md describes it; 1 and the n bytes when it is valid, else 0. */
static int ref_entropy_decode(const uint8_t *p, uint64_t size, uint64_t n, uint8_t *out) {
    if (size == 0) return 0;
    if (p[0] == 0) {
        if (size != n + 1) return 0;
        memcpy(out, p + 1, n);
        return 1;
    }
    if (p[0] == 1) {
        if (size != 2 || n == 0) return 0;
        memset(out, p[1], n);
        return 1;
    }
    if (p[0] != 2 || size < 2) return 0;
    int last = p[1], nlen = (last + 2) / 2;
    uint64_t header = 2 + (uint64_t)nlen + 12;
    if (size < header) return 0;
    int len[256] = {0};
    for (int s = 0; s <= last; s++) len[s] = p[2 + s / 2] >> (s % 2 ? 4 : 0) & 15;
    if (last % 2 == 0 && (p[2 + last / 2] >> 4) != 0) return 0;
    uint64_t kraft = 0;
    int used = 0;
    for (int s = 0; s <= last; s++) {
        if (len[s] > 11) return 0;
        if (len[s]) used++, kraft += 1u << (11 - len[s]);
    }
    if (len[last] == 0 || used < 2 || kraft != 2048) return 0;
    /* canonical codes, read as puff.c does: symbols sorted by (length, symbol), counted per length */
    int sorted[256], per_len[12] = {0}, k = 0;
    for (int l = 1; l <= 11; l++)
        for (int s = 0; s <= last; s++)
            if (len[s] == l) sorted[k++] = s, per_len[l]++;
    uint64_t sz[4], at = header, rest = size - header;
    for (int i = 0; i < 3; i++) {
        sz[i] = load(p + header - 12 + 4 * i, 4);
        if (sz[i] > rest) return 0;
        rest -= sz[i];
    }
    sz[3] = rest;
    uint64_t q = (n + 3) / 4;
    for (int i = 0; i < 4; i++) {
        uint64_t lo = i * q < n ? i * q : n, hi = (i + 1) * q < n ? (i + 1) * q : n, bit = 0;
        for (uint64_t j = lo; j < hi; j++) {
            int code = 0, first = 0, index = 0, found = -1; /* a code's first bit is its top bit */
            for (int l = 1; found < 0; l++) {
                if (l > 11 || bit >= sz[i] * 8) return 0;
                code |= p[at + bit / 8] >> (bit % 8) & 1;
                bit++;
                if (code - first < per_len[l]) found = sorted[index + code - first];
                index += per_len[l];
                first = (first + per_len[l]) << 1;
                code <<= 1;
            }
            out[j] = (uint8_t)found;
        }
        if ((bit + 7) / 8 != sz[i]) return 0;
        for (; bit < sz[i] * 8; bit++)
            if (p[at + bit / 8] >> (bit % 8) & 1) return 0;
        at += sz[i];
    }
    return 1;
}

/* Cost (bits) of an optimal prefix code of the counts: the textbook merge of the two lightest. */
static uint64_t optimal_cost(const uint64_t count[256]) {
    uint64_t w[256];
    int k = 0;
    for (int s = 0; s < 256; s++)
        if (count[s]) w[k++] = count[s];
    if (k < 2) return k ? w[0] : 0;
    uint64_t cost = 0;
    while (k > 1) {
        int a = 0, b = 1;
        if (w[b] < w[a]) a = 1, b = 0;
        for (int i = 2; i < k; i++) {
            if (w[i] < w[a]) b = a, a = i;
            else if (w[i] < w[b]) b = i;
        }
        uint64_t m = w[a] + w[b];
        cost += m;
        w[a] = m;
        w[b] = w[--k];
    }
    return cost;
}

/* Lengths of a Huffman plane as stored; the cost of the plane's histogram with them. */
static uint64_t stored_cost(const uint8_t *p, const uint64_t count[256], int *max_len) {
    int last = p[1];
    uint64_t cost = 0;
    *max_len = 0;
    for (int s = 0; s <= last; s++) {
        int l = p[2 + s / 2] >> (s % 2 ? 4 : 0) & 15;
        cost += count[s] * (uint64_t)l;
        if (l > *max_len) *max_len = l;
        if (count[s] && !l) return UINT64_MAX; /* a symbol of the plane without a code */
    }
    return cost;
}

static uint64_t huffman_planes, raw_planes, constant_planes;

/*
 * Encodes a plane and checks it against the format and the rules: the mode, size and bytes past it, optimal
 * lengths when no length can exceed 11, both decoders, every truncation and one byte more. Returns the size.
 */
static int64_t check_entropy(const uint8_t *src, uint64_t n, int want_mode, const char *what) {
    uint8_t *dst = guarded(n + 1), *copy = malloc(n + 2), *out = guarded(n + 1), *ref = malloc(n + 2);
    int64_t r = elfz_entropy_encode(src, n, dst, n + 1);
    CHECK(r >= 1 && (uint64_t)r <= n + 1, "%s n=%llu: encode returned %lld", what, (unsigned long long)n, (long long)r);
    if (r < 1) goto done;
    CHECK(intact(dst, (size_t)r), "%s n=%llu: wrote past its %lld bytes", what, (unsigned long long)n, (long long)r);
    int mode = dst[0];
    CHECK(want_mode < 0 || mode == want_mode, "%s n=%llu: mode %d, expected %d", what, (unsigned long long)n, mode,
          want_mode);
    uint64_t count[256] = {0};
    for (uint64_t i = 0; i < n; i++) count[src[i]]++;
    int distinct = 0;
    for (int s = 0; s < 256; s++) distinct += count[s] != 0;
    if (n == 0) CHECK(mode == 0 && r == 1, "%s: empty plane is raw", what);
    else if (distinct == 1)
        CHECK(mode == 1 && r == 2 && dst[1] == src[0], "%s n=%llu: constant", what, (unsigned long long)n);
    else CHECK(mode == 0 || mode == 2, "%s n=%llu: mode %d", what, (unsigned long long)n, mode);
    if (mode == 0) CHECK((uint64_t)r == n + 1 && memcmp(dst + 1, src, n) == 0, "%s: raw bytes", what);
    if (mode == 2) {
        CHECK((uint64_t)r < n - n / 64, "%s n=%llu: Huffman plane of %lld bytes saves too little", what,
              (unsigned long long)n, (long long)r);
        int max_len;
        uint64_t cost = stored_cost(dst, count, &max_len), best = optimal_cost(count);
        uint64_t total = 0, least = UINT64_MAX;
        for (int s = 0; s < 256; s++)
            if (count[s]) total += count[s], least = count[s] < least ? count[s] : least;
        CHECK(max_len <= 11 && cost >= best, "%s n=%llu: lengths up to %d, cost %llu below optimal %llu", what,
              (unsigned long long)n, max_len, (unsigned long long)cost, (unsigned long long)best);
        /* no symbol under 1/100 of the plane: no optimal code is deeper than 11, so the lengths are optimal */
        if (total < 100 * least)
            CHECK(cost == best, "%s n=%llu: cost %llu, optimal %llu", what, (unsigned long long)n,
                  (unsigned long long)cost, (unsigned long long)best);
        huffman_planes++;
    } else if (mode == 0) {
        raw_planes++;
    } else {
        constant_planes++;
    }
    CHECK(ref_entropy_decode(dst, (uint64_t)r, n, ref) && memcmp(ref, src, n) == 0,
          "%s n=%llu: the reference reader does not read the plane back", what, (unsigned long long)n);
    memcpy(copy, dst, (size_t)r); /* exactly r bytes on the heap: a read past them is a read out of bounds */
    CHECK(elfz_entropy_decode(copy, (uint64_t)r, out, n) == ELFZ_OK && memcmp(out, src, n) == 0 && intact(out, n),
          "%s n=%llu: decode", what, (unsigned long long)n);
    /* every ISA's coder (scalar, BMI2): the same bytes, and each decodes them */
    for (int isa = 0; isa < isa_count(); isa++) {
        elfz_isa_select(isa);
        int64_t again = elfz_entropy_encode(src, n, ref, n + 1);
        CHECK(again == r && memcmp(ref, dst, (size_t)r) == 0, "%s n=%llu: %s writes other bytes", what,
              (unsigned long long)n, elfz_isa_name(isa));
        memset(out, 0, n);
        CHECK(elfz_entropy_decode(copy, (uint64_t)r, out, n) == ELFZ_OK && memcmp(out, src, n) == 0 && intact(out, n),
              "%s n=%llu: %s decode", what, (unsigned long long)n, elfz_isa_name(isa));
    }
    elfz_isa_select(elfz_isa_supported());
    for (int64_t t = 0; t < r; t += t < 64 || t > r - 64 ? 1 : r / 50 + 1) { /* all near the ends, 50 between */
        uint8_t *cut = malloc((size_t)t + 1);
        memcpy(cut, dst, (size_t)t);
        CHECK(elfz_entropy_decode(cut, (uint64_t)t, out, n) == ELFZ_E_CORRUPT && intact(out, n),
              "%s n=%llu: plane cut to %lld of %lld bytes decodes", what, (unsigned long long)n, (long long)t,
              (long long)r);
        free(cut);
    }
    copy[r] = 0;
    CHECK(elfz_entropy_decode(copy, (uint64_t)r + 1, out, n) == ELFZ_E_CORRUPT, "%s: one byte more decodes", what);
    /* as a plane of n - 1 or n + 1 it may still be valid (a last code of zero bits looks like padding); the
     * library must say what the reference says */
    for (uint64_t m = n ? n - 1 : 1; m <= n + 1; m += 2) {
        int ok = ref_entropy_decode(copy, (uint64_t)r, m, ref);
        int64_t st = elfz_entropy_decode(copy, (uint64_t)r, out, m);
        CHECK(ok == (st == ELFZ_OK) && (!ok || memcmp(out, ref, m) == 0) && intact(out, n + 1),
              "%s n=%llu: as a plane of %llu: library %lld, reference %d", what, (unsigned long long)n,
              (unsigned long long)m, (long long)st, ok);
    }
done:
    release(dst);
    release(out);
    free(copy);
    free(ref);
    return r;
}

/* Symbol s with probability ~ ratio^s (s < k), deterministic. */
static void fill_geometric(uint8_t *p, uint64_t n, double ratio, int k, int base) {
    for (uint64_t i = 0; i < n; i++) {
        int s = 0;
        while (s < k - 1 && unit() < ratio) s++;
        p[i] = (uint8_t)(base + s);
    }
}

/*
 * A Huffman plane of n bytes (p holds 2n) spoiled: every mode, single-bit flips of the header and of every
 * `stride`-th byte after it (every byte near the ends), each decoded as the reference decodes it.
 */
static void spoil_plane(uint8_t *p, uint64_t n, uint64_t stride) {
    fill_geometric(p, n, 0.5, 20, 60);
    uint8_t *good = malloc(n + 1), *out = malloc(n);
    int64_t r = elfz_entropy_encode(p, n, good, n + 1);
    CHECK(r > 0 && good[0] == 2, "a Huffman plane to spoil");
    const uint64_t header = 2 + (uint64_t)(good[1] + 2) / 2 + 12;
    uint8_t *bad = malloc((size_t)r);
    for (int m = 3; m < 256; m++) {
        memcpy(bad, good, (size_t)r);
        bad[0] = (uint8_t)m;
        CHECK(elfz_entropy_decode(bad, (uint64_t)r, out, n) == ELFZ_E_CORRUPT, "mode %d", m);
    }
    int caught = 0, tried = 0;
    for (uint64_t at = 1; at < (uint64_t)r; at += at < header + 16 || at > (uint64_t)r - 16 ? 1 : stride) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(bad, good, (size_t)r);
            bad[at] ^= (uint8_t)(1 << bit);
            int64_t st = elfz_entropy_decode(bad, (uint64_t)r, out, n);
            CHECK(st == ELFZ_OK || st == ELFZ_E_CORRUPT, "flip at %llu: status %lld", (unsigned long long)at,
                  (long long)st);
            int ok = ref_entropy_decode(bad, (uint64_t)r, n, p + n);
            CHECK(ok == (st == ELFZ_OK), "flip at byte %llu bit %d: library says %lld, reference %d",
                  (unsigned long long)at, bit, (long long)st, ok);
            if (ok) CHECK(memcmp(out, p + n, n) == 0, "flip at %llu: decoders differ", (unsigned long long)at);
            /* a length, the unused nibble or a stream size changed: never a valid plane */
            if (at >= 2 && at < header)
                CHECK(st == ELFZ_E_CORRUPT, "header flip at byte %llu bit %d decodes", (unsigned long long)at, bit);
            caught += st != ELFZ_OK;
            tried++;
        }
    }
    printf("entropy: %d of %d single-bit flips of a %lld-byte Huffman plane caught (every %llu-th byte)\n", caught,
           tried, (long long)r, (unsigned long long)stride);
    free(bad);
    free(good);
    free(out);
}

/*
 * Streams padded past their symbols: the plane is corrupt (bytes left over), but the decoder's rounds are then
 * bounded by the segments, not the streams. Two one-bit codes give the most symbols per lookup (6, 30 bytes a
 * round), and segments of 21000 bytes end exactly on a round: no store may reach past a segment, nor past the
 * plane's last byte.
 */
static void entropy_padded_streams(void) {
    const uint64_t n = 4 * 35 * 600;
    uint8_t *src = malloc(n), *plane = malloc(n + 1), *bad = malloc(n + 4 * 64), *out = guarded(n);
    for (uint64_t i = 0; i < n; i++) src[i] = (uint8_t)(rnd() % 3 ? 40 : 41);
    int64_t r = elfz_entropy_encode(src, n, plane, n + 1);
    CHECK(r > 0 && plane[0] == 2 && plane[1] == 41 && plane[2 + 20] == 0x11, "two one-bit codes: %lld", (long long)r);
    const uint64_t header = 14 + (41 + 2) / 2;
    uint64_t size[4], rest = (uint64_t)r - header, at = header, to = header;
    for (int i = 0; i < 3; i++) {
        size[i] = plane[header - 12 + 4 * i] | (uint64_t)plane[header - 11 + 4 * i] << 8 |
                  (uint64_t)plane[header - 10 + 4 * i] << 16 | (uint64_t)plane[header - 9 + 4 * i] << 24;
        rest -= size[i];
    }
    size[3] = rest;
    memcpy(bad, plane, header);
    for (int i = 0; i < 4; i++) {
        memcpy(bad + to, plane + at, size[i]);
        memset(bad + to + size[i], 0, 64);
        at += size[i];
        to += size[i] + 64;
        if (i < 3)
            for (int b = 0; b < 4; b++) bad[header - 12 + 4 * i + b] = (uint8_t)((size[i] + 64) >> (8 * b));
    }
    CHECK(elfz_entropy_decode(bad, to, out, n) == ELFZ_E_CORRUPT, "padded streams decode");
    CHECK(intact(out, n), "padded streams: a store past the plane");
    free(src);
    free(plane);
    free(bad);
    release(out);
}

static void test_entropy(void) {
    /* known planes, worked out by hand from the format */
    uint8_t src[64], buf[65];
    for (int i = 0; i < 64; i++) src[i] = i % 4 == 3;
    const uint8_t want1[] = {2, 1, 0x11, 2,    0,    0,    0,    2,    0,    0,    0,   2,
                             0, 0, 0,    0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88};
    CHECK(elfz_entropy_encode(src, 64, buf, 65) == sizeof want1 && memcmp(buf, want1, sizeof want1) == 0,
          "two symbols, one bit each");
    for (int i = 0; i < 64; i++) src[i] = (uint8_t)(i % 4 == 1 ? 7 : i % 4 == 3 ? 9 : 5);
    const uint8_t want2[] = {2, 9, 0x00, 0x00, 0x10, 0x20, 0x20, 3,    0,    0,    0,    3,    0,    0,    0,   3,
                             0, 0, 0,    0xb2, 0x2c, 0xcb, 0xb2, 0x2c, 0xcb, 0xb2, 0x2c, 0xcb, 0xb2, 0x2c, 0xcb};
    CHECK(elfz_entropy_encode(src, 64, buf, 65) == sizeof want2 && memcmp(buf, want2, sizeof want2) == 0,
          "5, 7, 9: lengths 1, 2, 2, codes 0, 10, 11 bit-reversed");
    CHECK(elfz_entropy_encode(src, 64, buf, 64) == ELFZ_E_CAPACITY, "dst_cap n");
    CHECK(elfz_entropy_encode(NULL, 64, buf, 65) == ELFZ_E_NULL, "null src");
    CHECK(elfz_entropy_encode(src, 64, NULL, 65) == ELFZ_E_NULL, "null dst");
    CHECK(elfz_entropy_encode(NULL, 0, buf, 1) == 1 && buf[0] == 0, "empty plane, no src");
    CHECK(elfz_entropy_encode(src, UINT64_MAX / 32, buf, UINT64_MAX) == ELFZ_E_ARG, "huge n");
    CHECK(elfz_entropy_decode(NULL, 0, buf, 0) == ELFZ_E_CORRUPT, "no mode");
    CHECK(elfz_entropy_decode(NULL, 5, buf, 4) == ELFZ_E_NULL, "null src");
    CHECK(elfz_entropy_decode(want2, sizeof want2, NULL, 64) == ELFZ_E_NULL, "null dst");
    CHECK(elfz_entropy_decode(want2, sizeof want2, src, UINT64_MAX) == ELFZ_E_ARG, "huge n");
    const uint8_t raw0[] = {0}, const0[] = {1, 7};
    CHECK(elfz_entropy_decode(raw0, 1, buf, 0) == ELFZ_OK, "empty raw plane");
    CHECK(elfz_entropy_decode(const0, 2, buf, 0) == ELFZ_E_CORRUPT, "constant plane of nothing");
    CHECK(elfz_entropy_decode(const0, 2, buf, 3) == ELFZ_OK && buf[0] == 7 && buf[2] == 7, "constant plane");

    /* every length 0..300 with every kind of content */
    enum { KINDS = 7 };
    const char *kind_name[KINDS] = {"zeros", "two symbols", "256 symbols", "skewed", "geometric", "random", "runs"};
    uint8_t *p = malloc(70000 * 17);
    for (uint64_t n = 0; n <= 300; n++) {
        for (int kind = 0; kind < KINDS; kind++) {
            for (uint64_t i = 0; i < n; i++) {
                switch (kind) {
                case 0: p[i] = 0; break;
                case 1: p[i] = (uint8_t)(rnd() % 5 ? 0x3c : 0xc3); break;
                case 2: p[i] = (uint8_t)i; break;
                case 3: p[i] = (uint8_t)(120 + (int)(gauss() * 2)); break;
                case 4: fill_geometric(p + i, 1, 0.5, 40, 100); break;
                case 5: p[i] = (uint8_t)rnd(); break;
                default: p[i] = (uint8_t)(i / 37 * 13); break;
                }
            }
            check_entropy(p, n, n == 0 ? 0 : kind == 0 ? 1 : kind == 5 && n > 8 ? 0 : -1, kind_name[kind]);
        }
    }
    /* the length limit: geometric counts force codes over 11 bits */
    for (int k = 12; k <= 256; k += 61) {
        uint64_t n = 0;
        for (int s = 0; s < k && s < 22; s++) {
            uint64_t c = (uint64_t)1 << (s < 18 ? 18 - s : 0);
            for (uint64_t j = 0; j < c; j++) p[n++] = (uint8_t)s;
        }
        for (int s = 22; s < k; s++) p[n++] = (uint8_t)s;
        check_entropy(p, n, 2, "powers of two");
    }
    /* no code shorter than 2 bits, codes of every length up to 11: the C decoder's table built width by width,
     * large enough for its multi-symbol loop */
    for (int k = 12; k <= 256; k += 61) {
        uint64_t n = 0;
        for (int s = 0; s < k && s < 22; s++) {
            uint64_t c = (uint64_t)1 << (s < 2 ? 17 : s < 18 ? 18 - s : 0);
            for (uint64_t j = 0; j < c; j++) p[n++] = (uint8_t)(s * 11 % 256);
        }
        for (int s = 22; s < k; s++) p[n++] = (uint8_t)(s * 11 % 256);
        check_entropy(p, n, 2, "two halves of powers of two");
    }
    /* around the multi-symbol decoders' threshold (16384) and their rounds of up to 30 (C) or 35 (Java) symbols */
    const uint64_t sizes[] = {4096,  16383, 16384, 16385, 16387, 16464,  16465,  16543,  16544,
                              16545, 16703, 65520, 65521, 65536, 100003, 262144, 1 << 20};
    for (int t = 0; t < (int)(sizeof sizes / sizeof sizes[0]); t++) {
        uint64_t n = sizes[t];
        fill_geometric(p, n, 0.6, 256, 0);
        check_entropy(p, n, 2, "geometric 0.6");
        fill_geometric(p, n, 0.15, 30, 110);
        check_entropy(p, n, 2, "geometric 0.15");
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
        check_entropy(p, n, 0, "random");
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(rnd() % 200 == 0 ? rnd() : 77);
        check_entropy(p, n, 2, "mostly one byte");
        /* noise on every 16th byte: the pre-check says raw once the sample has 4096 bytes */
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(i % 16 ? 5 : rnd());
        check_entropy(p, n, n >= 65521 ? 0 : 2, "noisy sample");
        /* a quarter of the sample is one byte, the rest noise: the pre-check passes, the full plane is raw */
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(i % 64 ? rnd() : 5);
        check_entropy(p, n, 0, "quieter sample");
        /* streams of very different lengths: a one-bit code over most of the plane, long codes at its end */
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(i < n - n / 5 ? 9 : 10 + rnd() % 100);
        check_entropy(p, n, 2, "lopsided");
        /* 100 symbols about equally often: codes of 6 and 7 bits, one per window of the decoder's table */
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(100 + rnd() % 100);
        check_entropy(p, n, 2, "100 symbols");
        /* the same within 32 symbols: the encoders' pair tables on streams of very different sizes */
        for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(i < n - n / 5 ? 9 : 10 + rnd() % 22);
        check_entropy(p, n, 2, "lopsided, 23 symbols");
    }

    /* a Huffman plane spoiled; the larger one through the multi-symbol loop, flips in its middle included */
    spoil_plane(p, 5000, 1);
    spoil_plane(p, 40000, 97);
    entropy_padded_streams();
    /* random garbage behind a Huffman header */
    uint64_t n = 5000;
    uint8_t *bad = malloc(n), *out = malloc(n);
    for (int t = 0; t < 20000; t++) { /* garbage behind a Huffman header of random lengths */
        uint64_t size = 2 + rnd() % 200, m = rnd() % 300;
        for (uint64_t i = 0; i < size; i++) bad[i] = (uint8_t)rnd();
        bad[0] = 2;
        if (t % 2) bad[1] = (uint8_t)(rnd() % 8);
        uint8_t *exact = malloc((size_t)size);
        memcpy(exact, bad, (size_t)size);
        int64_t st = elfz_entropy_decode(exact, size, out, m);
        int ok = ref_entropy_decode(exact, size, m, p + n);
        CHECK(ok == (st == ELFZ_OK) && (!ok || memcmp(out, p + n, m) == 0), "garbage %d", t);
        free(exact);
    }
    printf("entropy: %llu Huffman, %llu raw, %llu constant planes checked\n", (unsigned long long)huffman_planes,
           (unsigned long long)raw_planes, (unsigned long long)constant_planes);
    free(bad);
    free(out);
    free(p);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--expect-isa") == 0) {
        /* run under ELFZ_MAX_ISA: the first call must already respect it (capped by the CPU) */
        int cap = 0;
        while (cap <= ELFZ_ISA_AVX512 && strcmp(elfz_isa_name(cap), argv[2]) != 0) cap++;
        if (cap > elfz_isa_supported()) {
            printf("skipped: this CPU (or build) has no %s, only up to %s\n", argv[2],
                   elfz_isa_name(elfz_isa_supported()));
            return 77; /* ctest's SKIP_RETURN_CODE: reported as skipped, by name */
        }
        int active = elfz_isa_active(), want = cap;
        CHECK(active == want, "active ISA %s, expected %s", elfz_isa_name(active), elfz_isa_name(want));
        test_capacity_and_errors();
        test_quantization_errors();
        printf("%s under ELFZ_MAX_ISA=%s (%d failures)\n", failures ? "FAILED" : "passed", argv[2], failures);
        return failures ? 1 : 0;
    }
    printf("elfz %d.%d.%d, supported ISA %s, active %s\n", ELFZ_VERSION_MAJOR, ELFZ_VERSION_MINOR, ELFZ_VERSION_PATCH,
           elfz_isa_name(elfz_isa_supported()), elfz_isa_name(elfz_isa_active()));
    test_capacity_and_errors();
    test_quantization_errors();
    test_quantization();
    test_pack();
    test_planes();
    test_grid();
    test_edges();
    test_lengths();
    test_entropy();
    printf("%s (%d failures)\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
