/*
 * AVX2 kernels (compiled with -mavx2 -mf16c; only called after cpuid says so). Eight values per
 * step; the last partial group and F64 go to the scalar kernels, which define the bytes.
 */
#include "elfz.h"
#include "elfz_internal.h"

#include "elfz_avx2_inl.h"

/* Bytes 0..3 of every dword of a lane gathered as [byte2 x4 | byte1 x4 | byte0 x4 | zero x4]. */
#define PLANE_SHUFFLE                                                                                  \
    _mm256_setr_epi8(2, 6, 10, 14, 1, 5, 9, 13, 0, 4, 8, 12, -1, -1, -1, -1, 2, 6, 10, 14, 1, 5, 9, 13, \
                     0, 4, 8, 12, -1, -1, -1, -1)

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
    __m256 a = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(code, _mm256_set1_epi32(1023))), _mm256_set1_ps(0x1p-10f));
    __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(code, 10), 31);
    return _mm256_cvtps_ph(_mm256_castsi256_ps(_mm256_or_si256(_mm256_castps_si256(a), sign)), _MM_FROUND_TO_NEAREST_INT);
}

static void decode_f16(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const uint8_t *rem = codes + n;
    uint64_t g = start;
    for (; g + 19 <= n; g += 16) { /* 3 more values follow: their 2 remainder bytes make an 8-byte load safe */
        __m256i high = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(codes + g)));
        __m256i c16 = _mm256_or_si256(_mm256_slli_epi16(high, 3), elfz_unpack3x16(rem + g / 8 * 3));
        _mm_storeu_si128((__m128i *)(dst + g * 2), f16_bits(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(c16))));
        _mm_storeu_si128((__m128i *)(dst + g * 2 + 16), f16_bits(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(c16, 1))));
    }
    if (g < n) elfz_decode_scalar_f16(codes, n, g, dst);
}

/* BF16: as F16 with 7 mantissa bits; the 8-bit code is its own single byte plane. */
static void encode_bf16(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    const __m256 scale = _mm256_set1_ps(128.0f);
    const __m256i abs = _mm256_set1_epi32(0x7fffffff);
    const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
                                          12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
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

/* Widths 1..8: whole groups of 8 with 8-byte loads and stores, the tail as the scalar kernel does it. */
void elfz_pack_avx2(const uint8_t *codes, uint64_t n, int width, uint8_t *dst) {
    if (width == 8) { memcpy(dst, codes, n); return; }
    uint64_t g = 0;
    for (; g + 8 <= n; g += 8) {
        uint64_t v;
        memcpy(&v, codes + g, 8);
        uint64_t packed = elfz_pack8(v, width);
        memcpy(dst + g / 8 * width, &packed, (size_t)width);
    }
    if (g < n) elfz_pack_scalar(codes + g, n - g, width, dst + g / 8 * width);
}

void elfz_unpack_avx2(const uint8_t *src, uint64_t n, int width, uint8_t *codes) {
    if (width == 8) { memcpy(codes, src, n); return; }
    uint64_t g = 0;
    for (; g + 8 <= n; g += 8) {
        uint64_t packed = 0;
        memcpy(&packed, src + g / 8 * width, (size_t)width);
        uint64_t v = elfz_unpack8(packed, width);
        memcpy(codes + g, &v, 8);
    }
    if (g < n) elfz_unpack_scalar(src + g / 8 * width, n - g, width, codes + g);
}

const elfz_kernels elfz_kernels_avx2 = {
    ELFZ_ISA_AVX2,
    {encode_f32, encode_f16, encode_bf16, elfz_encode_scalar_f64},
    {decode_f32, decode_f16, decode_bf16, elfz_decode_scalar_f64},
    elfz_pack_avx2,
    elfz_unpack_avx2,
};
