/*
 * AVX-512 kernels (compiled with -mavx512f; only called after cpuid and XCR0
 * say so). Sixteen values per step; vpmovdb writes a byte plane in one instruction. Tails, F64 and bit
 * packing go to the AVX2/scalar kernels, which define the same bytes.
 */
#include "elfz.h"
#include "elfz_internal.h"

#include "elfz_avx2_inl.h"

static void encode_f32(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
    const __m512i abs = _mm512_set1_epi32(0x7fffffff), mant = _mm512_set1_epi32(0x7fffff);
    uint64_t g = start;
    for (; g + 16 <= n; g += 16) {
        __m512i bits = _mm512_loadu_si512(src + g * 4);
        __m512 y = _mm512_add_ps(_mm512_castsi512_ps(_mm512_and_si512(bits, abs)), one);
        __mmask16 ok = _mm512_cmp_ps_mask(y, two, _CMP_LT_OQ); /* false for NaN */
        __m512i sign = _mm512_slli_epi32(_mm512_srli_epi32(bits, 31), 23);
        __m512i code = _mm512_maskz_or_epi32(ok, _mm512_and_si512(_mm512_castps_si512(y), mant), sign);
        unsigned bad = (unsigned)(uint16_t)~ok;
        if (bad) elfz_exc_put_lanes(sink, bad, src, g, 4);
        _mm_storeu_si128((__m128i *)(codes + g), _mm512_cvtepi32_epi8(_mm512_srli_epi32(code, 16)));
        _mm_storeu_si128((__m128i *)(codes + n + g), _mm512_cvtepi32_epi8(_mm512_srli_epi32(code, 8)));
        _mm_storeu_si128((__m128i *)(codes + 2 * n + g), _mm512_cvtepi32_epi8(code));
    }
    if (g < n) elfz_kernels_avx2.encode[ELFZ_F32](src, n, g, codes, sink);
}

static void decode_f32(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512i mant = _mm512_set1_epi32(0x7fffff), exp1 = _mm512_set1_epi32(0x3f800000);
    const __m512i top = _mm512_set1_epi32((int)0x80000000u);
    uint64_t g = start;
    for (; g + 16 <= n; g += 16) {
        __m512i p0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + g)));
        __m512i p1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + n + g)));
        __m512i p2 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + 2 * n + g)));
        __m512i code = _mm512_or_si512(_mm512_or_si512(_mm512_slli_epi32(p0, 16), _mm512_slli_epi32(p1, 8)), p2);
        __m512 y = _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(code, mant), exp1));
        __m512i a = _mm512_castps_si512(_mm512_sub_ps(y, one)); /* exact */
        __m512i sign = _mm512_and_si512(_mm512_slli_epi32(code, 8), top);
        _mm512_storeu_si512(dst + g * 4, _mm512_or_si512(a, sign));
    }
    if (g < n) elfz_kernels_avx2.decode[ELFZ_F32](codes, n, g, dst);
}

/* F16 as in the AVX2 kernel: q = round_half_even(|x| * 1024) in float32, exact. */
static void encode_f16(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    const __m512 scale = _mm512_set1_ps(1024.0f);
    const __m512i abs = _mm512_set1_epi32(0x7fffffff);
    uint8_t *rem = codes + n;
    uint64_t g = start;
    for (; g + 16 <= n; g += 16) {
        __m256i h = _mm256_loadu_si256((const __m256i *)(src + g * 2));
        __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_cvtph_ps(h)), abs));
        __m512 t = _mm512_roundscale_ps(_mm512_mul_ps(a, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __mmask16 ok = _mm512_cmp_ps_mask(t, scale, _CMP_LT_OQ);
        __m512i sign = _mm512_slli_epi32(_mm512_srli_epi32(_mm512_cvtepu16_epi32(h), 15), 10);
        __m512i code = _mm512_maskz_or_epi32(ok, _mm512_cvttps_epi32(t), sign);
        unsigned bad = (unsigned)(uint16_t)~ok;
        if (bad) elfz_exc_put_lanes(sink, bad, src, g, 2);
        _mm_storeu_si128((__m128i *)(codes + g), _mm512_cvtepi32_epi8(_mm512_srli_epi32(code, 3)));
        uint64_t packed = elfz_pack3x16(_mm512_cvtepi32_epi16(_mm512_and_si512(code, _mm512_set1_epi32(7))));
        memcpy(rem + g / 8 * 3, &packed, 6); /* little-endian */
    }
    if (g < n) elfz_kernels_avx2.encode[ELFZ_F16](src, n, g, codes, sink);
}

static void decode_f16(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const __m512 inv = _mm512_set1_ps(1.0f / 1024.0f);
    const uint8_t *rem = codes + n;
    uint64_t g = start;
    for (; g + 19 <= n; g += 16) { /* 3 more values follow: their 2 remainder bytes make an 8-byte load safe */
        __m512i high = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + g)));
        __m512i code =
            _mm512_or_si512(_mm512_slli_epi32(high, 3), _mm512_cvtepu16_epi32(elfz_unpack3x16(rem + g / 8 * 3)));
        __m512 a = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_and_si512(code, _mm512_set1_epi32(1023))), inv);
        __m512i sign = _mm512_slli_epi32(_mm512_srli_epi32(code, 10), 31);
        __m512 x = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), sign));
        _mm256_storeu_si256((__m256i *)(dst + g * 2), _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); /* exact */
    }
    if (g < n) elfz_kernels_avx2.decode[ELFZ_F16](codes, n, g, dst);
}

static void encode_bf16(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink) {
    const __m512 scale = _mm512_set1_ps(128.0f);
    const __m512i abs = _mm512_set1_epi32(0x7fffffff);
    uint64_t g = start;
    for (; g + 16 <= n; g += 16) {
        __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + g * 2)));
        __m512 a = _mm512_castsi512_ps(_mm512_and_si512(_mm512_slli_epi32(wide, 16), abs));
        __m512 t = _mm512_roundscale_ps(_mm512_mul_ps(a, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __mmask16 ok = _mm512_cmp_ps_mask(t, scale, _CMP_LT_OQ);
        __m512i sign = _mm512_slli_epi32(_mm512_srli_epi32(wide, 15), 7);
        __m512i code = _mm512_maskz_or_epi32(ok, _mm512_cvttps_epi32(t), sign);
        unsigned bad = (unsigned)(uint16_t)~ok;
        if (bad) elfz_exc_put_lanes(sink, bad, src, g, 2);
        _mm_storeu_si128((__m128i *)(codes + g), _mm512_cvtepi32_epi8(code));
    }
    if (g < n) elfz_kernels_avx2.encode[ELFZ_BF16](src, n, g, codes, sink);
}

static void decode_bf16(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst) {
    const __m512 inv = _mm512_set1_ps(1.0f / 128.0f);
    uint64_t g = start;
    for (; g + 16 <= n; g += 16) {
        __m512i code = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + g)));
        __m512 a = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_and_si512(code, _mm512_set1_epi32(127))), inv);
        __m512i sign = _mm512_slli_epi32(_mm512_srli_epi32(code, 7), 31);
        /* a has at most 7 significant bits: its top half is the exact bf16 */
        __m512i bits = _mm512_srli_epi32(_mm512_or_si512(_mm512_castps_si512(a), sign), 16);
        _mm256_storeu_si256((__m256i *)(dst + g * 2), _mm512_cvtepi32_epi16(bits));
    }
    if (g < n) elfz_kernels_avx2.decode[ELFZ_BF16](codes, n, g, dst);
}

const elfz_kernels elfz_kernels_avx512 = {
    .isa = ELFZ_ISA_AVX512,
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
    /* quantization: the AVX2 kernels, already faster than memory here (25-50 GB/s in cache) */
    .quantize = elfz_quantize_avx2,
    .dequantize = elfz_dequantize_avx2,
    .bucketize = elfz_bucketize_avx2,
    .lookup = elfz_lookup_avx2,
    /* planes and grid codes: the AVX2 kernels */
    .planes_split = elfz_planes_split_avx2,
    .planes_join = elfz_planes_join_avx2,
    .grid_encode = {elfz_grid_encode_avx2_f32, elfz_grid_encode_avx2_f64},
    .grid_decode = {elfz_grid_decode_avx2_f32, elfz_grid_decode_avx2_f64},
    .entropy_encode = elfz_entropy_encode_bmi2,
    .entropy_decode = elfz_entropy_decode_bmi2,
};
