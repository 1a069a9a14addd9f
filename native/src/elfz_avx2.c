/*
 * AVX2 kernels (compiled with -mavx2 -mf16c; only called after cpuid says so). Eight values per
 * step; the last partial group and F64 go to the scalar kernels, which define the bytes.
 */
#include "elfz.h"
#include "elfz_internal.h"

#include "elfz_avx2_inl.h"

/* Bytes 0..3 of every dword of a lane gathered as [byte2 x4 | byte1 x4 | byte0 x4 | zero x4]. */
#define PLANE_SHUFFLE                                                                                                  \
    _mm256_setr_epi8(2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12, -1, -1, -1, -1, 2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12,   \
                     -1, -1, -1, -1)

/* After PLANE_SHUFFLE: qword 0 = byte2 of the 8 dwords, qword 1 = byte1, qword 2 = byte0. */
static inline __m256i gather_planes(__m256i code) {
    __m256i s = _mm256_shuffle_epi8(code, PLANE_SHUFFLE);
    return _mm256_permutevar8x32_epi32(s, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static void encode_f32(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    const __m256i abs = _mm256_set1_epi32(0x7fffffff), mant = _mm256_set1_epi32(0x7fffff);
    uint64_t g = start;
    for (; g + 8 <= n; g += 8) {
        __m256i bits = _mm256_loadu_si256((const __m256i *)(src + g * 4));
        __m256 y = _mm256_add_ps(_mm256_castsi256_ps(_mm256_and_si256(bits, abs)), one);
        __m256 ok = _mm256_cmp_ps(y, two, _CMP_LT_OQ); /* false for NaN */
        __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(bits, 31), 23);
        __m256i code = _mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(y), mant), sign);
        code = _mm256_and_si256(code, _mm256_castps_si256(ok));
        unsigned bad = ~(unsigned)_mm256_movemask_ps(ok) & 0xff;
        if (bad) elfz_exc_put_lanes(sink, bad, src, g, 4);
        __m256i planes = gather_planes(code);
        __m128i lo = _mm256_castsi256_si128(planes), hi = _mm256_extracti128_si256(planes, 1);
        _mm_storel_epi64((__m128i *)(codes + g), lo);
        _mm_storeh_pd((double *)(codes + n + g), _mm_castsi128_pd(lo));
        _mm_storel_epi64((__m128i *)(codes + 2 * n + g), hi);
    }
    if (g < n) elfz_encode_scalar_f32(src, n, g, codes, sink);
}

static void decode_f32(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256i mant = _mm256_set1_epi32(0x7fffff), exp1 = _mm256_set1_epi32(0x3f800000);
    const __m256i top = _mm256_set1_epi32((int)0x80000000u);
    uint64_t g = start;
    for (; g + 8 <= n; g += 8) {
        __m256i p0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + g)));
        __m256i p1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + n + g)));
        __m256i p2 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + 2 * n + g)));
        __m256i code = _mm256_or_si256(_mm256_or_si256(_mm256_slli_epi32(p0, 16), _mm256_slli_epi32(p1, 8)), p2);
        __m256 y = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(code, mant), exp1));
        __m256i a = _mm256_castps_si256(_mm256_sub_ps(y, one)); /* exact */
        __m256i sign = _mm256_and_si256(_mm256_slli_epi32(code, 8), top);
        _mm256_storeu_si256((__m256i *)(dst + g * 4), _mm256_or_si256(a, sign));
    }
    if (g < n) elfz_decode_scalar_f32(codes, n, g, dst);
}

/*
 * F16: q = round_half_even(|x| * 1024). f16 -> f32 is exact; adding 2^13 (whose ulp is 2^-10) rounds |x|
 * to the grid in one IEEE addition, leaving q in the low mantissa bits (q = 1024 when it rounds up to 1).
 * code = sign << 10 | q; byte plane = code >> 3, then the low 3 bits bit-packed. f16_codes does 8 values as
 * dwords; lanes that are exceptions get 0 and a bit in *bad.
 */
static inline __m256i f16_codes(__m128i h, unsigned *bad) {
    const __m256i abs = _mm256_set1_epi32(0x7fffffff), grid_bits = _mm256_set1_epi32(0x46000000);
    const __m256i limit = _mm256_set1_epi32(1024);
    __m256 a = _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(_mm256_cvtph_ps(h)), abs));
    __m256i q = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(a, _mm256_set1_ps(8192.0f))), grid_bits);
    /* in range: q < 1024 unsigned (NaN and Inf leave huge differences) */
    __m256i ok = _mm256_andnot_si256(_mm256_cmpeq_epi32(q, limit), _mm256_cmpeq_epi32(_mm256_min_epu32(q, limit), q));
    *bad = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(ok)) & 0xff;
    __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(_mm256_cvtepu16_epi32(h), 15), 10);
    return _mm256_and_si256(_mm256_or_si256(q, sign), ok);
}

static void encode_f16(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    uint8_t *rem = codes + n;
    uint64_t g = start;
    for (; g + 16 <= n; g += 16) {
        unsigned bad0, bad1;
        __m256i c0 = f16_codes(_mm_loadu_si128((const __m128i *)(src + g * 2)), &bad0);
        __m256i c1 = f16_codes(_mm_loadu_si128((const __m128i *)(src + g * 2 + 16)), &bad1);
        if (bad0 | bad1) elfz_exc_put_lanes(sink, bad0 | bad1 << 8, src, g, 2);
        __m256i c16 = _mm256_permute4x64_epi64(_mm256_packus_epi32(c0, c1), 0xd8); /* 16 codes in order */
        __m256i high = _mm256_srli_epi16(c16, 3);
        high = _mm256_permute4x64_epi64(_mm256_packus_epi16(high, high), 0x08);
        _mm_storeu_si128((__m128i *)(codes + g), _mm256_castsi256_si128(high));
        uint64_t low = elfz_pack3x16(_mm256_and_si256(c16, _mm256_set1_epi16(7)));
        memcpy(rem + g / 8 * 3, &low, 6); /* little-endian */
    }
    if (g < n) elfz_encode_scalar_f16(src, n, g, codes, sink);
}

/* Codes (dwords) -> f16: (-1)^s q 2^-10 in float32, exact, then converted (exactly) by F16C. */
static inline __m128i f16_bits(__m256i code) {
    __m256 a =
        _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(code, _mm256_set1_epi32(1023))), _mm256_set1_ps(0x1p-10f));
    __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(code, 10), 31);
    return _mm256_cvtps_ph(_mm256_castsi256_ps(_mm256_or_si256(_mm256_castps_si256(a), sign)),
                           _MM_FROUND_TO_NEAREST_INT);
}

static void decode_f16(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const uint8_t *rem = codes + n;
    uint64_t g = start;
    for (; g + 19 <= n; g += 16) { /* 3 more values follow: their 2 remainder bytes make an 8-byte load safe */
        __m256i high = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(codes + g)));
        __m256i c16 = _mm256_or_si256(_mm256_slli_epi16(high, 3), elfz_unpack3x16(rem + g / 8 * 3));
        _mm_storeu_si128((__m128i *)(dst + g * 2), f16_bits(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(c16))));
        _mm_storeu_si128((__m128i *)(dst + g * 2 + 16),
                         f16_bits(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(c16, 1))));
    }
    if (g < n) elfz_decode_scalar_f16(codes, n, g, dst);
}

/* BF16: as F16 with 7 mantissa bits; the 8-bit code is its own single byte plane. */
static void encode_bf16(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    const __m256 scale = _mm256_set1_ps(128.0f);
    const __m256i abs = _mm256_set1_epi32(0x7fffffff);
    const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1,
                                          -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 2, 3, 5, 6, 7);
    uint64_t g = start;
    for (; g + 8 <= n; g += 8) {
        __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + g * 2)));
        __m256 a = _mm256_castsi256_ps(_mm256_and_si256(_mm256_slli_epi32(wide, 16), abs));
        __m256 t = _mm256_round_ps(_mm256_mul_ps(a, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 ok = _mm256_cmp_ps(t, scale, _CMP_LT_OQ);
        __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(wide, 15), 7);
        __m256i code = _mm256_and_si256(_mm256_or_si256(_mm256_cvttps_epi32(t), sign), _mm256_castps_si256(ok));
        unsigned bad = ~(unsigned)_mm256_movemask_ps(ok) & 0xff;
        if (bad) elfz_exc_put_lanes(sink, bad, src, g, 2);
        __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(code, shuf), perm);
        _mm_storel_epi64((__m128i *)(codes + g), _mm256_castsi256_si128(bytes));
    }
    if (g < n) elfz_encode_scalar_bf16(src, n, g, codes, sink);
}

static void decode_bf16(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const __m256 inv = _mm256_set1_ps(1.0f / 128.0f);
    uint64_t g = start;
    for (; g + 8 <= n; g += 8) {
        __m256i code = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + g)));
        __m256 a = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(code, _mm256_set1_epi32(127))), inv);
        __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(code, 7), 31);
        /* a has at most 7 significant bits: its top half is the exact bf16 */
        __m256i bits = _mm256_srli_epi32(_mm256_or_si256(_mm256_castps_si256(a), sign), 16);
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(bits, bits), 0x08);
        _mm_storeu_si128((__m128i *)(dst + g * 2), _mm256_castsi256_si128(packed));
    }
    if (g < n) elfz_decode_scalar_bf16(codes, n, g, dst);
}

/*
 * Widths 1..8: whole groups of 8 with 8-byte loads and stores, the tail as the scalar kernel does it. Each
 * width has its own copy of the loop (the switches below), so that the memcpy of `width` bytes is a move or
 * two and not a call to memcpy per group, which held unpacking to 1 code per ns.
 */
static inline void pack_groups(const uint8_t *codes, uint64_t groups, int width, uint8_t *dst) {
    for (uint64_t g = 0; g < groups; g++) {
        uint64_t v;
        memcpy(&v, codes + 8 * g, 8);
        uint64_t packed = elfz_pack8(v, width);
        memcpy(dst + g * width, &packed, (size_t)width);
    }
}

static inline void unpack_groups(const uint8_t *src, uint64_t groups, int width, uint8_t *codes) {
    for (uint64_t g = 0; g < groups; g++) {
        uint64_t packed = 0;
        memcpy(&packed, src + g * width, (size_t)width);
        uint64_t v = elfz_unpack8(packed, width);
        memcpy(codes + 8 * g, &v, 8);
    }
}

void elfz_pack_avx2(const uint8_t *codes, uint64_t n, int width, uint8_t *dst) {
    const uint64_t groups = n / 8;
    switch (width) {
    case 1: pack_groups(codes, groups, 1, dst); break;
    case 2: pack_groups(codes, groups, 2, dst); break;
    case 3: pack_groups(codes, groups, 3, dst); break;
    case 4: pack_groups(codes, groups, 4, dst); break;
    case 5: pack_groups(codes, groups, 5, dst); break;
    case 6: pack_groups(codes, groups, 6, dst); break;
    case 7: pack_groups(codes, groups, 7, dst); break;
    default: memcpy(dst, codes, n); return; /* 8 */
    }
    if (n % 8) elfz_pack_scalar(codes + groups * 8, n % 8, width, dst + groups * width);
}

void elfz_unpack_avx2(const uint8_t *src, uint64_t n, int width, uint8_t *codes) {
    const uint64_t groups = n / 8;
    switch (width) {
    case 1: unpack_groups(src, groups, 1, codes); break;
    case 2: unpack_groups(src, groups, 2, codes); break;
    case 3: unpack_groups(src, groups, 3, codes); break;
    case 4: unpack_groups(src, groups, 4, codes); break;
    case 5: unpack_groups(src, groups, 5, codes); break;
    case 6: unpack_groups(src, groups, 6, codes); break;
    case 7: unpack_groups(src, groups, 7, codes); break;
    default: memcpy(codes, src, n); return; /* 8 */
    }
    if (n % 8) elfz_unpack_scalar(src + groups * width, n % 8, width, codes + groups * 8);
}

/* ---- Quantization: 8 values per vector as float32; F64 and the last < 8 values of a run are scalar. ---- */

/* 8 values of F32, F16 or BF16 as float32 (exact). */
static inline __m256 load8(int dt, const uint8_t *p) {
    switch (dt) {
    case ELFZ_F32: return _mm256_loadu_ps((const float *)p);
    case ELFZ_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
    default: {
        __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    }
}

/* 8 float32 rounded to bf16 half to even; a NaN keeps its top bits and becomes quiet (as the scalar bf16_bits). */
static inline __m128i bf16_of(__m256 x) {
    const __m256i b = _mm256_castps_si256(x), one = _mm256_set1_epi32(1);
    __m256i half = _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(_mm256_srli_epi32(b, 16), one));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(b, half), 16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x40));
    __m256i h = _mm256_blendv_epi8(rounded, quiet, nan);
    return _mm_packus_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* 8 float32 stored as F32, F16 (F16C, half to even) or BF16. */
static inline void store8(int dt, uint8_t *p, __m256 x) {
    switch (dt) {
    case ELFZ_F32: _mm256_storeu_ps((float *)p, x); break;
    case ELFZ_F16: _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); break;
    default: _mm_storeu_si128((__m128i *)p, bf16_of(x)); break;
    }
}

/* The low bytes of 8 dwords (each 0..255), in order. */
static inline __m128i bytes8(__m256i c) {
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    return _mm_packus_epi16(w, w);
}

/* The low bytes of 4 x 8 dwords (each 0..255), in order: the packs interleave 128-bit lanes, a permute undoes it. */
static inline __m256i bytes32(__m256i c0, __m256i c1, __m256i c2, __m256i c3) {
    __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(c0, c1), _mm256_packs_epi32(c2, c3));
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* One group's constants, broadcast. */
typedef struct {
    __m256 scale, offset, top;
} qgroup8;

/* Codes of 8 values. max_ps returns its second operand when the first is NaN, so a NaN lands on 0. */
static inline __m256i quantize8(__m256 x, qgroup8 q) {
    __m256 r = _mm256_round_ps(_mm256_div_ps(x, q.scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 c = _mm256_max_ps(_mm256_add_ps(r, q.offset), _mm256_setzero_ps());
    return _mm256_cvttps_epi32(_mm256_min_ps(c, q.top));
}

static inline void quantize_run(int dt, const uint8_t *src, uint64_t n, float scale, int32_t offset, int32_t top,
                                uint8_t *codes) {
    const int vs = elfz_value_size[dt];
    const qgroup8 v = {_mm256_set1_ps(scale), _mm256_set1_ps((float)offset), _mm256_set1_ps((float)top)};
    uint64_t i = 0;
    if (dt != ELFZ_F64) {
        for (; i + 32 <= n; i += 32) {
            const uint8_t *p = src + i * vs;
            __m256i c = bytes32(quantize8(load8(dt, p), v), quantize8(load8(dt, p + 8 * vs), v),
                                quantize8(load8(dt, p + 16 * vs), v), quantize8(load8(dt, p + 24 * vs), v));
            _mm256_storeu_si256((__m256i *)(codes + i), c);
        }
        for (; i + 8 <= n; i += 8)
            _mm_storel_epi64((__m128i *)(codes + i), bytes8(quantize8(load8(dt, src + i * vs), v)));
    }
    if (i < n) elfz_quantize_scalar[dt](src + i * vs, n - i, scale, offset, top, codes + i);
}

static inline void dequantize_run(int dt, const uint8_t *codes, uint64_t n, float scale, int32_t offset, int32_t top,
                                  uint8_t *dst) {
    const int vs = elfz_value_size[dt];
    const __m256i mask = _mm256_set1_epi32(top), level0 = _mm256_set1_epi32(offset);
    const __m256 scale8 = _mm256_set1_ps(scale);
    uint64_t i = 0;
    for (; dt != ELFZ_F64 && i + 8 <= n; i += 8) {
        __m256i c = _mm256_and_si256(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + i))), mask);
        store8(dt, dst + i * vs, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c, level0)), scale8));
    }
    if (i < n) elfz_dequantize_scalar[dt](codes + i, n - i, scale, offset, top, dst + i * vs);
}

/* Each bound is compared with 32 values at once; a true compare is -1, so subtracting it counts. */
static inline void bucketize_run(int dt, const uint8_t *src, uint64_t n, const float *bounds, int n_bounds,
                                 uint8_t *codes) {
    const int vs = elfz_value_size[dt];
    uint64_t i = 0;
    for (; dt != ELFZ_F64 && i + 32 <= n; i += 32) {
        __m256 x[4];
        __m256i c[4];
        for (int k = 0; k < 4; k++) {
            x[k] = load8(dt, src + (i + 8 * k) * vs);
            c[k] = _mm256_setzero_si256();
        }
        for (int j = 0; j < n_bounds; j++) {
            __m256 b = _mm256_broadcast_ss(bounds + j);
            for (int k = 0; k < 4; k++)
                c[k] = _mm256_sub_epi32(c[k], _mm256_castps_si256(_mm256_cmp_ps(b, x[k], _CMP_LT_OQ)));
        }
        _mm256_storeu_si256((__m256i *)(codes + i), bytes32(c[0], c[1], c[2], c[3]));
    }
    if (i < n) elfz_bucketize_scalar[dt](src + i * vs, n - i, bounds, n_bounds, codes + i);
}

/*
 * Tables of up to 16 entries sit in registers: F32 as two 8-entry permutes (bit 3 of the code picks one),
 * F16 and BF16 as a byte shuffle of the entries' low bytes and one of their high bytes, 32 codes at a time.
 * Larger tables are the scalar loop: gathers measured no faster than it.
 */
static inline void lookup_run(int dt, const uint8_t *codes, uint64_t n, const uint8_t *table, int top, uint8_t *dst) {
    const int vs = elfz_value_size[dt];
    uint64_t i = 0;
    if (top < 16 && dt == ELFZ_F32) {
        uint8_t t[64] = {0};
        memcpy(t, table, (size_t)(top + 1) * 4);
        const __m256i lo = _mm256_loadu_si256((const __m256i *)t), hi = _mm256_loadu_si256((const __m256i *)(t + 32));
        const __m256i mask = _mm256_set1_epi32(top);
        for (; i + 8 <= n; i += 8) {
            __m256i c = _mm256_and_si256(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + i))), mask);
            /* the permutes read the low 3 bits; blendv reads the sign bit, where bit 3 is shifted */
            __m256 e0 = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(lo, c));
            __m256 e1 = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(hi, c));
            __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(c, 28));
            _mm256_storeu_ps((float *)(dst + i * 4), _mm256_blendv_ps(e0, e1, bit3));
        }
    } else if (top < 16 && dt != ELFZ_F64) {
        uint8_t low[16] = {0}, high[16] = {0};
        for (int k = 0; k <= top; k++) low[k] = table[2 * k], high[k] = table[2 * k + 1];
        const __m256i tl = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)low));
        const __m256i th = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)high));
        const __m256i mask = _mm256_set1_epi8((char)top);
        for (; i + 32 <= n; i += 32) {
            __m256i c = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(codes + i)), mask);
            __m256i l = _mm256_shuffle_epi8(tl, c), h = _mm256_shuffle_epi8(th, c);
            __m256i w0 = _mm256_unpacklo_epi8(l, h), w1 = _mm256_unpackhi_epi8(l, h); /* codes 0-7 16-23, 8-15 24-31 */
            _mm256_storeu_si256((__m256i *)(dst + i * 2), _mm256_permute2x128_si256(w0, w1, 0x20));
            _mm256_storeu_si256((__m256i *)(dst + i * 2 + 32), _mm256_permute2x128_si256(w0, w1, 0x31));
        }
    }
    if (i < n) elfz_lookup_scalar[dt](codes + i, n - i, table, top, dst + i * vs);
}

/* ---- Byte planes, 32 values per step; the tail is the scalar loop. ---- */

/* 4 vectors of 8 dwords (32 values in order) -> bytes 0..3 of each, 32 per plane, at p + b * stride. */
static inline void split_dwords(__m256i a, __m256i b, __m256i c, __m256i d, uint8_t *p, uint64_t stride) {
    /* per 128-bit lane: byte j of its 4 dwords into dword j; then qword j = byte j of the 8 dwords */
    const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5, 9,
                                          13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    a = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(a, shuf), perm);
    b = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(b, shuf), perm);
    c = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(c, shuf), perm);
    d = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(d, shuf), perm);
    __m256i ab02 = _mm256_unpacklo_epi64(a, b),
            ab13 = _mm256_unpackhi_epi64(a, b); /* [a0 b0 | a2 b2], [a1 b1 | a3 b3] */
    __m256i cd02 = _mm256_unpacklo_epi64(c, d), cd13 = _mm256_unpackhi_epi64(c, d);
    _mm256_storeu_si256((__m256i *)p, _mm256_permute2x128_si256(ab02, cd02, 0x20));
    _mm256_storeu_si256((__m256i *)(p + stride), _mm256_permute2x128_si256(ab13, cd13, 0x20));
    _mm256_storeu_si256((__m256i *)(p + 2 * stride), _mm256_permute2x128_si256(ab02, cd02, 0x31));
    _mm256_storeu_si256((__m256i *)(p + 3 * stride), _mm256_permute2x128_si256(ab13, cd13, 0x31));
}

/* The inverse: 32 bytes of each of the 4 planes at p + b * stride -> 32 dwords in order, in out[0..3]. */
static inline void join_dwords(const uint8_t *p, uint64_t stride, __m256i out[4]) {
    __m256i p0 = _mm256_loadu_si256((const __m256i *)p), p1 = _mm256_loadu_si256((const __m256i *)(p + stride));
    __m256i p2 = _mm256_loadu_si256((const __m256i *)(p + 2 * stride));
    __m256i p3 = _mm256_loadu_si256((const __m256i *)(p + 3 * stride));
    __m256i w0 = _mm256_unpacklo_epi8(p0, p1), w1 = _mm256_unpackhi_epi8(p0, p1); /* values 0-7|16-23, 8-15|24-31 */
    __m256i x0 = _mm256_unpacklo_epi8(p2, p3), x1 = _mm256_unpackhi_epi8(p2, p3);
    __m256i d0 = _mm256_unpacklo_epi16(w0, x0), d1 = _mm256_unpackhi_epi16(w0, x0); /* 0-3|16-19, 4-7|20-23 */
    __m256i d2 = _mm256_unpacklo_epi16(w1, x1), d3 = _mm256_unpackhi_epi16(w1, x1); /* 8-11|24-27, 12-15|28-31 */
    out[0] = _mm256_permute2x128_si256(d0, d1, 0x20);
    out[1] = _mm256_permute2x128_si256(d2, d3, 0x20);
    out[2] = _mm256_permute2x128_si256(d0, d1, 0x31);
    out[3] = _mm256_permute2x128_si256(d2, d3, 0x31);
}

static inline __m256i rotl16(__m256i v, int rotate) {
    return rotate ? _mm256_or_si256(_mm256_slli_epi16(v, 1), _mm256_srli_epi16(v, 15)) : v;
}
static inline __m256i rotr16(__m256i v, int rotate) {
    return rotate ? _mm256_or_si256(_mm256_srli_epi16(v, 1), _mm256_slli_epi16(v, 15)) : v;
}
static inline __m256i rotl32(__m256i v, int rotate) {
    return rotate ? _mm256_or_si256(_mm256_slli_epi32(v, 1), _mm256_srli_epi32(v, 31)) : v;
}
static inline __m256i rotr32(__m256i v, int rotate) {
    return rotate ? _mm256_or_si256(_mm256_srli_epi32(v, 1), _mm256_slli_epi32(v, 31)) : v;
}
static inline __m256i rotl64(__m256i v, int rotate) {
    return rotate ? _mm256_or_si256(_mm256_slli_epi64(v, 1), _mm256_srli_epi64(v, 63)) : v;
}
static inline __m256i rotr64(__m256i v, int rotate) {
    return rotate ? _mm256_or_si256(_mm256_srli_epi64(v, 1), _mm256_slli_epi64(v, 63)) : v;
}

static inline __m256i load32(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

static inline uint64_t split_run(const uint8_t *src, uint64_t n, uint64_t start, int width, int rotate,
                                 uint8_t *planes) {
    uint64_t i = start;
    for (; i + 32 <= n; i += 32) {
        const uint8_t *s = src + i * width;
        if (width == 2) {
            /* per lane: the low bytes of its 8 words, then the high bytes; qwords reordered to [low 16 | high 16] */
            const __m256i shuf = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8,
                                                  10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
            __m256i a = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(rotl16(load32(s), rotate), shuf), 0xd8);
            __m256i b = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(rotl16(load32(s + 32), rotate), shuf), 0xd8);
            _mm256_storeu_si256((__m256i *)(planes + i), _mm256_permute2x128_si256(a, b, 0x20));
            _mm256_storeu_si256((__m256i *)(planes + n + i), _mm256_permute2x128_si256(a, b, 0x31));
        } else if (width == 4) {
            split_dwords(rotl32(load32(s), rotate), rotl32(load32(s + 32), rotate), rotl32(load32(s + 64), rotate),
                         rotl32(load32(s + 96), rotate), planes + i, n);
        } else {
            /* the low and the high dwords of 8 values each, in order, then as width 4 */
            __m256i lo[4], hi[4];
            for (int k = 0; k < 4; k++) {
                __m256 a = _mm256_castsi256_ps(rotl64(load32(s + 64 * k), rotate));
                __m256 b = _mm256_castsi256_ps(rotl64(load32(s + 64 * k + 32), rotate));
                /* per lane [a.lo a.lo b.lo b.lo]: values 0 1 4 5 | 2 3 6 7; the permute puts them in order */
                lo[k] = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(a, b, 0x88)), 0xd8);
                hi[k] = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8);
            }
            split_dwords(lo[0], lo[1], lo[2], lo[3], planes + i, n);
            split_dwords(hi[0], hi[1], hi[2], hi[3], planes + 4 * n + i, n);
        }
    }
    return i;
}

static inline uint64_t join_run(const uint8_t *planes, uint64_t n, uint64_t start, int width, int rotate,
                                uint8_t *dst) {
    uint64_t i = start;
    for (; i + 32 <= n; i += 32) {
        uint8_t *d = dst + i * width;
        if (width == 2) {
            __m256i p0 = load32(planes + i), p1 = load32(planes + n + i);
            __m256i w0 = _mm256_unpacklo_epi8(p0, p1), w1 = _mm256_unpackhi_epi8(p0, p1); /* 0-7|16-23, 8-15|24-31 */
            _mm256_storeu_si256((__m256i *)d, rotr16(_mm256_permute2x128_si256(w0, w1, 0x20), rotate));
            _mm256_storeu_si256((__m256i *)(d + 32), rotr16(_mm256_permute2x128_si256(w0, w1, 0x31), rotate));
        } else if (width == 4) {
            __m256i v[4];
            join_dwords(planes + i, n, v);
            for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i *)(d + 32 * k), rotr32(v[k], rotate));
        } else {
            __m256i lo[4], hi[4];
            join_dwords(planes + i, n, lo);
            join_dwords(planes + 4 * n + i, n, hi);
            for (int k = 0; k < 4; k++) {
                /* qwords of values 0 1 | 4 5 and 2 3 | 6 7 */
                __m256i u0 = _mm256_unpacklo_epi32(lo[k], hi[k]), u1 = _mm256_unpackhi_epi32(lo[k], hi[k]);
                _mm256_storeu_si256((__m256i *)(d + 64 * k), rotr64(_mm256_permute2x128_si256(u0, u1, 0x20), rotate));
                _mm256_storeu_si256((__m256i *)(d + 64 * k + 32),
                                    rotr64(_mm256_permute2x128_si256(u0, u1, 0x31), rotate));
            }
        }
    }
    return i;
}

/* One copy of each loop per width and rotation (constants inside). */
void elfz_planes_split_avx2(const uint8_t *src, uint64_t n, uint64_t start, int width, int rotate, uint8_t *planes) {
    uint64_t i;
    switch (width * 2 + rotate) {
    case 4: i = split_run(src, n, start, 2, 0, planes); break;
    case 5: i = split_run(src, n, start, 2, 1, planes); break;
    case 8: i = split_run(src, n, start, 4, 0, planes); break;
    case 9: i = split_run(src, n, start, 4, 1, planes); break;
    case 16: i = split_run(src, n, start, 8, 0, planes); break;
    default: i = split_run(src, n, start, 8, 1, planes); break;
    }
    if (i < n) elfz_planes_split_scalar(src, n, i, width, rotate, planes);
}

void elfz_planes_join_avx2(const uint8_t *planes, uint64_t n, uint64_t start, int width, int rotate, uint8_t *dst) {
    uint64_t i;
    switch (width * 2 + rotate) {
    case 4: i = join_run(planes, n, start, 2, 0, dst); break;
    case 5: i = join_run(planes, n, start, 2, 1, dst); break;
    case 8: i = join_run(planes, n, start, 4, 0, dst); break;
    case 9: i = join_run(planes, n, start, 4, 1, dst); break;
    case 16: i = join_run(planes, n, start, 8, 0, dst); break;
    default: i = join_run(planes, n, start, 8, 1, dst); break;
    }
    if (i < n) elfz_planes_join_scalar(planes, n, i, width, rotate, dst);
}

/*
 * ---- Grid codes: 4 doubles per vector, the scalar code's operations one for one (division, round half to even,
 * multiplication, F32 rounding, subtraction: each an IEEE operation, none fused), 32 values per step. ----
 */

/* zigzag codes of 4 values, exceptions' bits (1 = ok) in *ok; an exception's q is zeroed first, so its code is 0. */
static inline __m128i grid_codes4(__m256d x, __m256d step, __m256d bound, int f64, int *ok) {
    const __m256d abs = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffll));
    const __m256d max_q = _mm256_set1_pd(2147483647.0);
    __m256d q = _mm256_round_pd(_mm256_div_pd(x, step), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d y = _mm256_mul_pd(q, step);
    if (!f64) y = _mm256_cvtps_pd(_mm256_cvtpd_ps(y)); /* rounded to float32 as MXCSR says: to nearest, as (float) */
    __m256d err = _mm256_and_pd(_mm256_sub_pd(y, x), abs);
    __m256d good = _mm256_and_pd(_mm256_cmp_pd(_mm256_and_pd(q, abs), max_q, _CMP_LE_OQ),
                                 _mm256_cmp_pd(err, bound, _CMP_LE_OQ)); /* false for NaN */
    *ok = _mm256_movemask_pd(good);
    __m128i k = _mm256_cvtpd_epi32(_mm256_and_pd(q, good)); /* exact: |q| < 2^31 */
    return _mm_xor_si128(_mm_slli_epi32(k, 1), _mm_srai_epi32(k, 31));
}

/* 8 values (F32 or F64) at p -> 8 codes; exception lanes set in *bad. */
static inline __m256i grid_codes8(const uint8_t *p, __m256d step, __m256d bound, int f64, unsigned *bad) {
    __m256d x0, x1;
    if (f64) {
        x0 = _mm256_loadu_pd((const double *)p);
        x1 = _mm256_loadu_pd((const double *)(p + 32));
    } else {
        __m256 x = _mm256_loadu_ps((const float *)p);
        x0 = _mm256_cvtps_pd(_mm256_castps256_ps128(x)); /* exact */
        x1 = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
    }
    int ok0, ok1;
    __m128i c0 = grid_codes4(x0, step, bound, f64, &ok0), c1 = grid_codes4(x1, step, bound, f64, &ok1);
    *bad = ~(unsigned)(ok0 | ok1 << 4) & 0xff;
    return _mm256_inserti128_si256(_mm256_castsi128_si256(c0), c1, 1);
}

static inline void grid_encode_run(int f64, const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                                   uint8_t *codes, elfz_exc_sink *sink) {
    const int vs = f64 ? 8 : 4;
    const __m256d step4 = _mm256_set1_pd(step), bound4 = _mm256_set1_pd(bound);
    uint64_t g = start;
    for (; g + 32 <= n; g += 32) {
        const uint8_t *p = src + g * vs;
        unsigned b0, b1, b2, b3;
        __m256i c0 = grid_codes8(p, step4, bound4, f64, &b0);
        __m256i c1 = grid_codes8(p + 8 * vs, step4, bound4, f64, &b1);
        __m256i c2 = grid_codes8(p + 16 * vs, step4, bound4, f64, &b2);
        __m256i c3 = grid_codes8(p + 24 * vs, step4, bound4, f64, &b3);
        unsigned bad = b0 | b1 << 8 | b2 << 16 | b3 << 24;
        if (bad) elfz_exc_put_lanes(sink, bad, src, g, vs);
        split_dwords(c0, c1, c2, c3, codes + g, n);
    }
    if (g < n) {
        if (f64) elfz_grid_encode_scalar_f64(src, n, g, step, bound, codes, sink);
        else elfz_grid_encode_scalar_f32(src, n, g, step, bound, codes, sink);
    }
}

/* 8 codes -> 8 values: unzigzag, to double (exact), times step, rounded to the dtype. */
static inline void grid_values8(__m256i code, __m256d step, int f64, uint8_t *p) {
    __m256i k =
        _mm256_xor_si256(_mm256_srli_epi32(code, 1),
                         _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_and_si256(code, _mm256_set1_epi32(1))));
    __m256d y0 = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(k)), step);
    __m256d y1 = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(k, 1)), step);
    if (f64) {
        _mm256_storeu_pd((double *)p, y0);
        _mm256_storeu_pd((double *)(p + 32), y1);
    } else {
        __m256 y = _mm256_castps128_ps256(_mm256_cvtpd_ps(y0));
        _mm256_storeu_ps((float *)p, _mm256_insertf128_ps(y, _mm256_cvtpd_ps(y1), 1));
    }
}

static inline void grid_decode_run(int f64, const uint8_t *codes, uint64_t n, uint64_t start, double step,
                                   uint8_t *dst) {
    const int vs = f64 ? 8 : 4;
    const __m256d step4 = _mm256_set1_pd(step);
    uint64_t g = start;
    for (; g + 32 <= n; g += 32) {
        __m256i c[4];
        join_dwords(codes + g, n, c);
        for (int k = 0; k < 4; k++) grid_values8(c[k], step4, f64, dst + (g + 8 * k) * vs);
    }
    if (g < n) {
        if (f64) elfz_grid_decode_scalar_f64(codes, n, g, step, dst);
        else elfz_grid_decode_scalar_f32(codes, n, g, step, dst);
    }
}

void elfz_grid_encode_avx2_f32(const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                               uint8_t *codes, elfz_exc_sink *sink) {
    grid_encode_run(0, src, n, start, step, bound, codes, sink);
}

void elfz_grid_encode_avx2_f64(const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                               uint8_t *codes, elfz_exc_sink *sink) {
    grid_encode_run(1, src, n, start, step, bound, codes, sink);
}

void elfz_grid_decode_avx2_f32(const uint8_t *codes, uint64_t n, uint64_t start, double step, uint8_t *dst) {
    grid_decode_run(0, codes, n, start, step, dst);
}

void elfz_grid_decode_avx2_f64(const uint8_t *codes, uint64_t n, uint64_t start, double step, uint8_t *dst) {
    grid_decode_run(1, codes, n, start, step, dst);
}

ELFZ_QUANT_KERNELS(avx2) /* F64: the scalar code, whole */

const elfz_kernels elfz_kernels_avx2 = {
    .isa = ELFZ_ISA_AVX2,
    .encode = {[ELFZ_F32] = encode_f32,
               [ELFZ_F16] = encode_f16,
               [ELFZ_BF16] = encode_bf16,
               [ELFZ_F64] = elfz_encode_scalar_f64},
    .decode = {[ELFZ_F32] = decode_f32,
               [ELFZ_F16] = decode_f16,
               [ELFZ_BF16] = decode_bf16,
               [ELFZ_F64] = elfz_decode_scalar_f64},
    .pack = elfz_pack_avx2,
    .unpack = elfz_unpack_avx2,
    .quantize = elfz_quantize_avx2,
    .dequantize = elfz_dequantize_avx2,
    .bucketize = elfz_bucketize_avx2,
    .lookup = elfz_lookup_avx2,
    .planes_split = elfz_planes_split_avx2,
    .planes_join = elfz_planes_join_avx2,
    .grid_encode = {elfz_grid_encode_avx2_f32, elfz_grid_encode_avx2_f64},
    .grid_decode = {elfz_grid_decode_avx2_f32, elfz_grid_decode_avx2_f64},
    /* the entropy coder compiled with BMI2, which detect_isa requires at this level */
    .entropy_encode = elfz_entropy_encode_bmi2,
    .entropy_decode = elfz_entropy_decode_bmi2,
};
