/* Portable scalar kernels: the reference every other ISA must match byte for byte. */
#include "elfz.h"
#include "elfz_internal.h"

#include <math.h>

const int elfz_code_width[ELFZ_DTYPES] = {24, 11, 8, 53};
const int elfz_value_size[ELFZ_DTYPES] = {4, 2, 2, 8};

static inline float f32_of(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}
static inline uint32_t bits_f32(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
static inline double f64_of(uint64_t b) {
    double f;
    memcpy(&f, &b, 8);
    return f;
}
static inline uint64_t bits_f64(double f) {
    uint64_t b;
    memcpy(&b, &f, 8);
    return b;
}

/*
 * Value bits -> ELF code; returns 0 for an exception. Every type lets one IEEE addition (round to nearest
 * even) do the rounding: F32/F64 add 1, F16/BF16 add 2^13 / 2^16 in float32, numbers whose ulp is the
 * code's unit (2^-10 / 2^-7), so the float's low mantissa bits are q. The C tests check this against
 * q = rint(|x| 2^m) in double for every 16-bit pattern.
 */
static inline int to_code(int dt, uint64_t bits, uint64_t *code) {
    switch (dt) {
    case ELFZ_F32: {
        float y = 1.0f + f32_of((uint32_t)bits & 0x7fffffffu);
        if (!(y < 2.0f)) return 0; /* |x| >= 1, rounds up to 2, NaN, Inf */
        *code = (bits >> 31) << 23 | (bits_f32(y) & 0x7fffffu);
        return 1;
    }
    case ELFZ_F64: {
        double y = 1.0 + f64_of(bits & 0x7fffffffffffffffull);
        if (!(y < 2.0)) return 0;
        *code = (bits >> 63) << 52 | (bits_f64(y) & 0xfffffffffffffull);
        return 1;
    }
    case ELFZ_F16: {
        /* |x| rebased to float32's exponent: exact for normal f16; a subnormal f16 lands below 2^-14,
         * under half a unit like its true value (q = 0 either way); Inf/NaN land at 2^16 and up. */
        float y = f32_of((uint32_t)((bits & 0x7fff) << 13) + (112u << 23)) + 0x1p13f;
        if (!(y < 0x1p13f + 1)) return 0;
        *code = (bits >> 15 & 1) << 10 | (bits_f32(y) - bits_f32(0x1p13f));
        return 1;
    }
    default: { /* ELFZ_BF16: the top half of a float32, so |x| is exact */
        float y = f32_of((uint32_t)(bits & 0x7fff) << 16) + 0x1p16f;
        if (!(y < 0x1p16f + 1)) return 0;
        *code = (bits >> 15 & 1) << 7 | (bits_f32(y) - bits_f32(0x1p16f));
        return 1;
    }
    }
}

/* ELF code -> value bits (never an exception: those are patched afterwards). */
static inline uint64_t from_code(int dt, uint64_t code) {
    switch (dt) {
    case ELFZ_F32: {
        float a = f32_of(0x3f800000u | ((uint32_t)code & 0x7fffffu)) - 1.0f; /* exact */
        return bits_f32(a) | (uint32_t)(code >> 23 & 1) << 31;
    }
    case ELFZ_F64: {
        double a = f64_of(0x3ff0000000000000ull | (code & 0xfffffffffffffull)) - 1.0;
        return bits_f64(a) | (code >> 52 & 1) << 63;
    }
    case ELFZ_F16: { /* q * 2^-10 * 2^-112 as float32: exact, its exponent biased as f16's */
        uint32_t b = bits_f32((float)(code & 1023) * 0x1p-122f) >> 13;
        return b | (code >> 10 & 1) << 15;
    }
    default: { /* ELFZ_BF16: q * 2^-7 has at most 7 significant bits: the float's top half is exact */
        uint32_t b = bits_f32((float)(code & 127) * 0x1p-7f) >> 16;
        return b | (code >> 7 & 1) << 15;
    }
    }
}

/* Values [start, n) of a block of n, in groups of 8 so the remainder plane stays byte-aligned. */
static inline void encode_range(int dt, const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes,
                                elfz_exc_sink *sink) {
    const int w = elfz_code_width[dt], vs = elfz_value_size[dt], planes = w / 8, r = w % 8;
    uint8_t *rem = codes + (uint64_t)planes * n;
    for (uint64_t g = start; g < n; g += 8) {
        int cnt = n - g < 8 ? (int)(n - g) : 8;
        uint64_t c[8];
        uint8_t low[8] = {0};
        for (int j = 0; j < cnt; j++) {
            const uint8_t *v = src + (g + j) * vs;
            if (!to_code(dt, elfz_load_le(v, vs), &c[j])) {
                elfz_exc_put(sink, g + j, v);
                c[j] = 0;
            }
        }
        for (int p = 0; p < planes; p++)
            for (int j = 0; j < cnt; j++) codes[p * n + g + j] = (uint8_t)(c[j] >> (w - 8 * (p + 1)));
        if (r) {
            for (int j = 0; j < cnt; j++) low[j] = (uint8_t)c[j];
            elfz_store_le(rem + g / 8 * r, elfz_pack8(elfz_load_le(low, 8), r), (cnt * r + 7) / 8);
        }
    }
}

static inline void decode_range(int dt, const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const int w = elfz_code_width[dt], vs = elfz_value_size[dt], planes = w / 8, r = w % 8;
    const uint8_t *rem = codes + (uint64_t)planes * n;
    for (uint64_t g = start; g < n; g += 8) {
        int cnt = n - g < 8 ? (int)(n - g) : 8;
        uint8_t low[8] = {0};
        if (r) elfz_store_le(low, elfz_unpack8(elfz_load_le(rem + g / 8 * r, (cnt * r + 7) / 8), r), 8);
        for (int j = 0; j < cnt; j++) {
            uint64_t c = low[j];
            for (int p = 0; p < planes; p++) c |= (uint64_t)codes[p * n + g + j] << (w - 8 * (p + 1));
            elfz_store_le(dst + (g + j) * vs, from_code(dt, c), vs);
        }
    }
}

#define ELFZ_SCALAR_DTYPE(name, DT)                                                                                    \
    void elfz_encode_scalar_##name(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes,                     \
                                   elfz_exc_sink *sink) {                                                              \
        encode_range(DT, src, n, start, codes, sink);                                                                  \
    }                                                                                                                  \
    void elfz_decode_scalar_##name(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {                   \
        decode_range(DT, codes, n, start, dst);                                                                        \
    }
ELFZ_SCALAR_DTYPE(f32, ELFZ_F32)
ELFZ_SCALAR_DTYPE(f16, ELFZ_F16)
ELFZ_SCALAR_DTYPE(bf16, ELFZ_BF16)
ELFZ_SCALAR_DTYPE(f64, ELFZ_F64)

void elfz_pack_scalar(const uint8_t *codes, uint64_t n, int width, uint8_t *dst) {
    for (uint64_t g = 0; g < n; g += 8) {
        int cnt = n - g < 8 ? (int)(n - g) : 8;
        elfz_store_le(dst + g / 8 * width, elfz_pack8(elfz_load_le(codes + g, cnt), width), (cnt * width + 7) / 8);
    }
}

void elfz_unpack_scalar(const uint8_t *src, uint64_t n, int width, uint8_t *codes) {
    for (uint64_t g = 0; g < n; g += 8) {
        int cnt = n - g < 8 ? (int)(n - g) : 8;
        elfz_store_le(codes + g, elfz_unpack8(elfz_load_le(src + g / 8 * width, (cnt * width + 7) / 8), width), cnt);
    }
}

/* ---- Quantization: one value at a time, the arithmetic exactly as elfz.h states it. ---- */

/* f16 bits -> float32, exactly: the bits shifted into float32's fields are the value times 2^-112 (a
 * subnormal f16 becomes a subnormal float32), so one exact multiplication rebases the exponent. */
static inline float f16_value(uint32_t h) {
    uint32_t sign = (h & 0x8000u) << 16, mag = h & 0x7fffu;
    if (mag >= 0x7c00u) return f32_of(sign | 0x7f800000u | (mag & 0x3ffu) << 13); /* Inf, NaN */
    return f32_of(sign | bits_f32(f32_of(mag << 13) * 0x1p112f));
}

/* float32 -> f16 bits, half to even, NaN as F16C's vcvtps2ph (and Java's Float.floatToFloat16) make it. */
static inline uint16_t f16_bits(float x) {
    uint32_t b = bits_f32(x), sign = b >> 16 & 0x8000u, a = b & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | (a >> 13 & 0x3ffu)); /* quiet, top payload bits */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                     /* 65520 and up round to Inf */
    if (a >= 0x38800000u) { /* normal: rebias the exponent, round the 13 dropped bits half to even */
        uint32_t r = a - (112u << 23);
        return (uint16_t)(sign | (r + 0xfffu + (r >> 13 & 1)) >> 13);
    }
    /* below 2^-14, f16 steps are 2^-24: one addition to 0.5 (whose ulp that is) rounds; 1024 is 2^-14 itself */
    return (uint16_t)(sign | (bits_f32(f32_of(a) + 0.5f) - 0x3f000000u));
}

/* float32 -> bf16 bits, half to even; a NaN keeps its top bits and becomes quiet. */
static inline uint16_t bf16_bits(float x) {
    uint32_t b = bits_f32(x);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(b >> 16 | 0x40u);
    return (uint16_t)((b + 0x7fffu + (b >> 16 & 1)) >> 16);
}

/* A value of F32, F16 or BF16 as float32 (exact), and a float32 stored as one, rounded. */
static inline float load_f32(int dt, const uint8_t *p) {
    switch (dt) {
    case ELFZ_F32: return f32_of((uint32_t)elfz_load_le(p, 4));
    case ELFZ_F16: return f16_value((uint32_t)elfz_load_le(p, 2));
    default: return f32_of((uint32_t)elfz_load_le(p, 2) << 16);
    }
}

static inline void store_f32(int dt, uint8_t *p, float x) {
    switch (dt) {
    case ELFZ_F32: elfz_store_le(p, bits_f32(x), 4); break;
    case ELFZ_F16: elfz_store_le(p, f16_bits(x), 2); break;
    default: elfz_store_le(p, bf16_bits(x), 2); break;
    }
}

/* Clamped in floating point first (NaN fails c > 0 and becomes code 0): converting a float that is out
 * of an integer's range would be undefined. */
static inline uint8_t code_of_f32(float x, float scale, int32_t offset, int32_t top) {
    float c = nearbyintf(x / scale) + (float)offset;
    c = c > 0.0f ? c : 0.0f;
    return (uint8_t)(c < (float)top ? c : (float)top);
}

static inline uint8_t code_of_f64(double x, float scale, int32_t offset, int32_t top) {
    double c = nearbyint(x / (double)scale) + (double)offset;
    c = c > 0.0 ? c : 0.0;
    return (uint8_t)(c < (double)top ? c : (double)top);
}

static inline void quantize_run(int dt, const uint8_t *src, uint64_t n, float scale, int32_t offset, int32_t top,
                                uint8_t *codes) {
    const int vs = elfz_value_size[dt];
    for (uint64_t i = 0; i < n; i++)
        codes[i] = dt == ELFZ_F64 ? code_of_f64(f64_of(elfz_load_le(src + i * 8, 8)), scale, offset, top)
                                  : code_of_f32(load_f32(dt, src + i * vs), scale, offset, top);
}

static inline void dequantize_run(int dt, const uint8_t *codes, uint64_t n, float scale, int32_t offset, int32_t top,
                                  uint8_t *dst) {
    const int vs = elfz_value_size[dt];
    for (uint64_t i = 0; i < n; i++) {
        int level = (codes[i] & top) - offset;
        if (dt == ELFZ_F64) elfz_store_le(dst + i * 8, bits_f64((double)level * (double)scale), 8);
        else store_f32(dt, dst + i * vs, (float)level * scale);
    }
}

static inline void bucketize_run(int dt, const uint8_t *src, uint64_t n, const float *bounds, int n_bounds,
                                 uint8_t *codes) {
    const int vs = elfz_value_size[dt];
    for (uint64_t i = 0; i < n; i++) {
        int c = 0;
        if (dt == ELFZ_F64) {
            double x = f64_of(elfz_load_le(src + i * 8, 8));
            for (int j = 0; j < n_bounds; j++) c += (double)bounds[j] < x;
        } else {
            float x = load_f32(dt, src + i * vs);
            for (int j = 0; j < n_bounds; j++) c += bounds[j] < x;
        }
        codes[i] = (uint8_t)c;
    }
}

static inline void lookup_run(int dt, const uint8_t *codes, uint64_t n, const uint8_t *table, int top, uint8_t *dst) {
    const int vs = elfz_value_size[dt];
    for (uint64_t i = 0; i < n; i++) memcpy(dst + i * vs, table + (codes[i] & top) * vs, (size_t)vs);
}

void elfz_lookup_table(int dt, const float *table, int entries, uint8_t *out) {
    const int vs = elfz_value_size[dt];
    for (int k = 0; k < entries; k++) {
        if (dt == ELFZ_F64) elfz_store_le(out + k * 8, bits_f64((double)table[k]), 8); /* exact; quiets a NaN */
        else store_f32(dt, out + k * vs, table[k]);
    }
}

ELFZ_QUANT_KERNELS(scalar)

/* ---- Byte planes: one value at a time, a loop per width so that the shifts are constants. ---- */

/* v (width bytes) rotated left by one bit within its width, or right. */
static inline uint64_t rotl1(uint64_t v, int width) {
    const int bits = 8 * width;
    const uint64_t mask = bits == 64 ? ~0ull : (1ull << (bits & 63)) - 1;
    return (v << 1 | v >> (bits - 1)) & mask;
}

static inline uint64_t rotr1(uint64_t v, int width) {
    const int bits = 8 * width;
    const uint64_t mask = bits == 64 ? ~0ull : (1ull << (bits & 63)) - 1;
    return (v >> 1 | v << (bits - 1)) & mask;
}

static inline void split_range(const uint8_t *src, uint64_t n, uint64_t start, int width, int rotate, uint8_t *planes) {
    for (uint64_t i = start; i < n; i++) {
        uint64_t v = elfz_load_le(src + i * width, width);
        if (rotate) v = rotl1(v, width);
        for (int b = 0; b < width; b++) planes[b * n + i] = (uint8_t)(v >> (8 * b));
    }
}

static inline void join_range(const uint8_t *planes, uint64_t n, uint64_t start, int width, int rotate, uint8_t *dst) {
    for (uint64_t i = start; i < n; i++) {
        uint64_t v = 0;
        for (int b = 0; b < width; b++) v |= (uint64_t)planes[b * n + i] << (8 * b);
        elfz_store_le(dst + i * width, rotate ? rotr1(v, width) : v, width);
    }
}

void elfz_planes_split_scalar(const uint8_t *src, uint64_t n, uint64_t start, int width, int rotate, uint8_t *planes) {
    switch (width) {
    case 2: split_range(src, n, start, 2, rotate, planes); break;
    case 4: split_range(src, n, start, 4, rotate, planes); break;
    default: split_range(src, n, start, 8, rotate, planes); break;
    }
}

void elfz_planes_join_scalar(const uint8_t *planes, uint64_t n, uint64_t start, int width, int rotate, uint8_t *dst) {
    switch (width) {
    case 2: join_range(planes, n, start, 2, rotate, dst); break;
    case 4: join_range(planes, n, start, 4, rotate, dst); break;
    default: join_range(planes, n, start, 8, rotate, dst); break;
    }
}

/*
 * ---- Grid codes: the arithmetic exactly as elfz.h states it, in double, one value at a time. ----
 * (No FMA: CMake compiles with -ffp-contract=off, so q * step - x is two roundings as in Java.)
 */

/* The decoded value of grid point q as a double (exact for F32, whose value it is). */
static inline double grid_value(int f64, double q, double step) { return f64 ? q * step : (double)(float)(q * step); }

static inline void grid_encode_range(int f64, const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                                     uint8_t *codes, elfz_exc_sink *sink) {
    const int vs = f64 ? 8 : 4;
    for (uint64_t i = start; i < n; i++) {
        const uint8_t *p = src + i * vs;
        const uint64_t b = elfz_load_le(p, vs);
        const double x = f64 ? f64_of(b) : (double)f32_of((uint32_t)b);
        const double q = nearbyint(x / step);
        uint32_t code = 0;
        if (fabs(q) <= 2147483647.0 && fabs(grid_value(f64, q, step) - x) <= bound) { /* false for NaN, Inf */
            const int32_t k = (int32_t)q;
            code = (uint32_t)k << 1 ^ (k < 0 ? 0xffffffffu : 0u);
        } else {
            elfz_exc_put(sink, i, p);
        }
        for (int c = 0; c < 4; c++) codes[c * n + i] = (uint8_t)(code >> (8 * c));
    }
}

static inline void grid_decode_range(int f64, const uint8_t *codes, uint64_t n, uint64_t start, double step,
                                     uint8_t *dst) {
    for (uint64_t i = start; i < n; i++) {
        uint32_t code = 0;
        for (int c = 0; c < 4; c++) code |= (uint32_t)codes[c * n + i] << (8 * c);
        const int64_t half = (int64_t)(code >> 1), sign = -(int64_t)(code & 1);
        const double q = (double)(half ^ sign); /* unzigzag (~half = -half - 1 when odd), exact; no branch */
        if (f64) elfz_store_le(dst + i * 8, bits_f64(q * step), 8);
        else elfz_store_le(dst + i * 4, bits_f32((float)(q * step)), 4);
    }
}

void elfz_grid_encode_scalar_f32(const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                                 uint8_t *codes, elfz_exc_sink *sink) {
    grid_encode_range(0, src, n, start, step, bound, codes, sink);
}

void elfz_grid_encode_scalar_f64(const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                                 uint8_t *codes, elfz_exc_sink *sink) {
    grid_encode_range(1, src, n, start, step, bound, codes, sink);
}

void elfz_grid_decode_scalar_f32(const uint8_t *codes, uint64_t n, uint64_t start, double step, uint8_t *dst) {
    grid_decode_range(0, codes, n, start, step, dst);
}

void elfz_grid_decode_scalar_f64(const uint8_t *codes, uint64_t n, uint64_t start, double step, uint8_t *dst) {
    grid_decode_range(1, codes, n, start, step, dst);
}

const elfz_kernels elfz_kernels_scalar = {
    .isa = ELFZ_ISA_SCALAR,
    .encode = {[ELFZ_F32] = elfz_encode_scalar_f32,
               [ELFZ_F16] = elfz_encode_scalar_f16,
               [ELFZ_BF16] = elfz_encode_scalar_bf16,
               [ELFZ_F64] = elfz_encode_scalar_f64},
    .decode = {[ELFZ_F32] = elfz_decode_scalar_f32,
               [ELFZ_F16] = elfz_decode_scalar_f16,
               [ELFZ_BF16] = elfz_decode_scalar_bf16,
               [ELFZ_F64] = elfz_decode_scalar_f64},
    .pack = elfz_pack_scalar,
    .unpack = elfz_unpack_scalar,
    .quantize = elfz_quantize_scalar,
    .dequantize = elfz_dequantize_scalar,
    .bucketize = elfz_bucketize_scalar,
    .lookup = elfz_lookup_scalar,
    .planes_split = elfz_planes_split_scalar,
    .planes_join = elfz_planes_join_scalar,
    .grid_encode = {elfz_grid_encode_scalar_f32, elfz_grid_encode_scalar_f64},
    .grid_decode = {elfz_grid_decode_scalar_f32, elfz_grid_decode_scalar_f64},
    .entropy_encode = elfz_entropy_encode_scalar,
    .entropy_decode = elfz_entropy_decode_scalar,
};
