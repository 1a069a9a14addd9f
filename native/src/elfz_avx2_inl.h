/* AVX2 helpers shared by the AVX2 and AVX-512 kernels (both are compiled with -mavx2). */
#ifndef ELFZ_AVX2_INL_H
#define ELFZ_AVX2_INL_H

#include <immintrin.h>
#include <stdint.h>

/*
 * Bit-packs 16 codes of 3 bits (the low bits of 16-bit lanes, in order) LSB-first into 48 bits: pairs
 * merge with a multiply-add, then 32- and 64-bit neighbours with shifts, as elfz_pack8 does in a register.
 */
static inline uint64_t elfz_pack3x16(__m256i low3) {
    __m256i m = _mm256_madd_epi16(low3, _mm256_set1_epi32(8 << 16 | 1)); /* 6 bits per dword */
    __m256i q = _mm256_and_si256(_mm256_or_si256(m, _mm256_srli_epi64(m, 26)), _mm256_set1_epi64x(0xfff));
    __m256i r = _mm256_or_si256(q, _mm256_slli_epi64(_mm256_bsrli_epi128(q, 8), 12)); /* 24 bits per lane */
    return (uint64_t)_mm_cvtsi128_si64(_mm256_castsi256_si128(r)) |
           (uint64_t)_mm_cvtsi128_si64(_mm256_extracti128_si256(r, 1)) << 24;
}

/* The inverse: the 6 bytes at p (8 readable) -> 16 codes of 3 bits in 16-bit lanes, in order. */
static inline __m256i elfz_unpack3x16(const uint8_t *p) {
    /* bytes 0-2 (codes 0-7) to the low qword of lane 0, bytes 3-5 (codes 8-15) to that of lane 1 */
    const __m256i spread = _mm256_setr_epi8(0, 1, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 3, 4, 5, -1,
                                            -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i v = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadl_epi64((const __m128i *)p)), spread);
    __m256i q = _mm256_and_si256(_mm256_or_si256(v, _mm256_bslli_epi128(_mm256_srli_epi64(v, 12), 8)),
                                 _mm256_set1_epi64x(0xfff)); /* 12 bits per qword */
    __m256i m =
        _mm256_and_si256(_mm256_or_si256(q, _mm256_slli_epi64(q, 26)), _mm256_set1_epi64x(0x0000003f0000003fll));
    return _mm256_and_si256(_mm256_or_si256(m, _mm256_slli_epi32(m, 13)), _mm256_set1_epi32(0x00070007));
}

#endif
