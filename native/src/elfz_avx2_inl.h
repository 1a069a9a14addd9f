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
    __m256i m = _mm256_madd_epi16(low3, _mm256_set1_epi32(8 << 16 | 1));                  /* 6 bits per dword */
    __m256i q = _mm256_and_si256(_mm256_or_si256(m, _mm256_srli_epi64(m, 26)), _mm256_set1_epi64x(0xfff));
    __m256i r = _mm256_or_si256(q, _mm256_slli_epi64(_mm256_bsrli_epi128(q, 8), 12));    /* 24 bits per lane */
    return (uint64_t)_mm_cvtsi128_si64(_mm256_castsi256_si128(r)) |
           (uint64_t)_mm_cvtsi128_si64(_mm256_extracti128_si256(r, 1)) << 24;
}

#endif
