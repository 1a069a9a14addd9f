/*
 * elfz.h - the one public C API of the elfz kernel.
 *
 * ELF (exponent-less floating point): a weight x with |x| < 1 is stored as its sign and the mantissa
 * of 1+|x| rounded to the dtype's precision, i.e. the integer q = round_half_even(|x| * 2^m) with m the
 * dtype's mantissa width; code = sign << m | q. Every other value (|x| >= 1, NaN, +-Inf, and x whose q
 * rounds up to 2^m) is an exception, kept exactly as (position, original bits).
 *
 * Codes are stored in the planar layout of FORMAT.md: for n codes of width w = 8k + r, k byte planes
 * (most significant byte first, n bytes each) followed by the low r bits of every code bit-packed
 * LSB-first (ceil(n*r/8) bytes). Total: ceil(n*w/8) bytes.
 *
 * Every function works on caller-owned buffers, never allocates, and checks every pointer and length it
 * is given. Functions return a count (>= 0) or a negative ELFZ_E_* status.
 */
#ifndef ELFZ_H
#define ELFZ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ELFZ_API __declspec(dllexport)
#else
#define ELFZ_API __attribute__((visibility("default")))
#endif

/* Version of this API and of the byte layout it produces, bumped with every change of either (DEVELOPERS.md). */
#define ELFZ_VERSION_MAJOR 0
#define ELFZ_VERSION_MINOR 2
#define ELFZ_VERSION_PATCH 0

/* Status codes (negative return values). */
#define ELFZ_OK 0
#define ELFZ_E_NULL (-1)        /* a required pointer is NULL */
#define ELFZ_E_ARG (-2)         /* an argument is out of its range (dtype, width, isa) */
#define ELFZ_E_CAPACITY (-3)    /* an output buffer is smaller than the result needs */
#define ELFZ_E_TRUNCATED (-4)   /* an input buffer is shorter than its count implies */
#define ELFZ_E_CORRUPT (-5)     /* exception positions out of range or out of order; an invalid entropy plane */
#define ELFZ_E_UNSUPPORTED (-6) /* the ISA asked for is not supported by this CPU/OS/build */

/* Instruction sets, in increasing order. */
#define ELFZ_ISA_SCALAR 0
#define ELFZ_ISA_AVX2 1   /* AVX2 + BMI2 + F16C, with OS support for YMM state */
#define ELFZ_ISA_AVX512 2 /* AVX2 level + AVX-512F, with OS support for ZMM state */

/* Float types ELF handles. Code widths: F32 24, F16 11, BF16 8, F64 53 bits. */
#define ELFZ_F32 0
#define ELFZ_F16 1
#define ELFZ_BF16 2
#define ELFZ_F64 3

/* (major << 16) | (minor << 8) | patch of the library actually loaded. */
ELFZ_API int32_t elfz_version(void);

/* Message for a status code ("ok" for ELFZ_OK, "unknown status" otherwise); never NULL, static. */
ELFZ_API const char *elfz_status_message(int64_t status);

/* The best ISA this CPU and OS support and this library was built with. */
ELFZ_API int32_t elfz_isa_supported(void);

/*
 * The ISA in use. On first use it is the supported one, lowered by the environment variable
 * ELFZ_MAX_ISA ("scalar", "avx2" or "avx512") when set; other values are ignored.
 */
ELFZ_API int32_t elfz_isa_active(void);

/*
 * Selects the ISA for all following calls in the process (for tests and benchmarks). Returns the ISA
 * now active, or ELFZ_E_UNSUPPORTED / ELFZ_E_ARG. Not meant to be called while other threads encode.
 */
ELFZ_API int32_t elfz_isa_select(int32_t isa);

/* Name of an ISA ("scalar", "avx2", "avx512"), or "unknown". */
ELFZ_API const char *elfz_isa_name(int32_t isa);

/* Bits per ELF code of a dtype (24, 11, 8, 53), or ELFZ_E_ARG. */
ELFZ_API int32_t elfz_elf_code_width(int32_t dtype);

/* Bytes of the planar code stream for n values of a dtype, or ELFZ_E_ARG. */
ELFZ_API int64_t elfz_elf_code_bytes(int32_t dtype, uint64_t n);

/*
 * Encodes n values (little-endian, of the dtype) from src into codes (codes_cap bytes, at least
 * elfz_elf_code_bytes(dtype, n)). Exceptions are written in order as exc_pos[i] = pos_base + index and
 * exc_bits[i] = the value's original bits (uint32 for F32, uint16 for F16/BF16, uint64 for F64); their
 * code slots hold 0. Returns the number of exceptions found; when that exceeds exc_cap only the first
 * exc_cap are stored and the caller must encode again with room for all. exc_pos and exc_bits may be
 * NULL when exc_cap is 0. Buffers need no alignment.
 */
ELFZ_API int64_t elfz_elf_encode(int32_t dtype, const void *src, uint64_t n, void *codes, uint64_t codes_cap,
                                 uint64_t *exc_pos, void *exc_bits, uint64_t exc_cap, uint64_t pos_base);

/*
 * Decodes n values from codes (codes_len bytes) into dst (dst_cap bytes, at least n * dtype size),
 * then writes the n_exc exceptions back: exc_pos must be strictly increasing and lie in
 * [pos_base, pos_base + n). Returns n, or a negative status (then nothing was written to dst).
 */
ELFZ_API int64_t elfz_elf_decode(int32_t dtype, const void *codes, uint64_t codes_len, uint64_t n, void *dst,
                                 uint64_t dst_cap, const uint64_t *exc_pos, const void *exc_bits, uint64_t n_exc,
                                 uint64_t pos_base);

/*
 * Bit-packs n codes of `width` bits (1..8, one per byte; higher bits are ignored) LSB-first into dst
 * (dst_cap bytes, at least ceil(n * width / 8)); unused bits of the last byte are 0. Returns the bytes
 * written.
 */
ELFZ_API int64_t elfz_pack_bits(const uint8_t *codes, uint64_t n, int32_t width, uint8_t *dst, uint64_t dst_cap);

/*
 * Unpacks n codes of `width` bits (1..8) from src (src_len bytes, at least ceil(n * width / 8)) into
 * codes (codes_cap bytes, at least n). Returns n.
 */
ELFZ_API int64_t elfz_unpack_bits(const uint8_t *src, uint64_t src_len, uint64_t n, int32_t width, uint8_t *codes,
                                  uint64_t codes_cap);

/*
 * Uniform quantization of n values (little-endian, of the dtype) from src into one code byte each. Value i
 * belongs to group g = (group_offset + i) / group_size, whose scale is scales[g] and zero point zeros[g];
 * scales and zeros hold (group_offset + n - 1) / group_size + 1 entries (none when n is 0). With
 * qmin = -2^(bits-1) and qmax = 2^(bits-1) - 1:
 *
 *     code = clamp(rint(x / scale) + zero, qmin, qmax) - qmin
 *
 * in float32 (float64 for F64; F16 and BF16 are widened exactly), rint rounding half to even, NaN giving
 * code 0. Any scale is allowed (0, NaN and Inf follow IEEE division). bits is 1..8; group_size >= 1;
 * group_offset < group_size, and group_offset + n must not overflow. Returns ELFZ_OK.
 */
ELFZ_API int32_t elfz_quantize(int32_t dtype, const void *src, uint64_t n, uint64_t group_size, uint64_t group_offset,
                               const float *scales, const int8_t *zeros, int32_t bits, uint8_t *codes);

/*
 * The inverse of elfz_quantize, with the same groups: x' = (c + qmin - zero) * scale in float32 (float64 for
 * F64) where c is the code's low `bits` bits (higher bits are ignored), rounded to the dtype half to even
 * (F16 as F16C's vcvtps2ph does, NaN included; BF16 keeps a NaN's top bits and sets its quiet bit).
 * Writes n values to dst. Returns ELFZ_OK.
 */
ELFZ_API int32_t elfz_dequantize(int32_t dtype, const uint8_t *codes, uint64_t n, uint64_t group_size,
                                 uint64_t group_offset, const float *scales, const int8_t *zeros, int32_t bits,
                                 void *dst);

/*
 * Non-uniform quantization: codes[i] = the number of the n_bounds (0..255) float32 bounds that are strictly
 * below x (compared in float32, float64 for F64). Bounds are meant to ascend, but any order, repeats and
 * NaN (never below anything) give that same count; a NaN x gives 0. bounds may be NULL when n_bounds is 0.
 * Returns ELFZ_OK.
 */
ELFZ_API int32_t elfz_bucketize(int32_t dtype, const void *src, uint64_t n, const float *bounds, int32_t n_bounds,
                                uint8_t *codes);

/*
 * dst[i] = table[c] rounded to the dtype as elfz_dequantize rounds (exact for F32 and F64), where c is the
 * low `bits` (1..8) bits of codes[i] and table holds 2^bits float32 entries. Returns ELFZ_OK.
 */
ELFZ_API int32_t elfz_lookup(int32_t dtype, const uint8_t *codes, uint64_t n, const float *table, int32_t bits,
                             void *dst);

/*
 * Splits n values of `width` bytes (2, 4 or 8; little-endian) from src into `width` byte planes of n bytes
 * in planes (planes_cap bytes, at least width * n): plane b, at planes + b * n, holds byte b of every value.
 * With rotate = 1 each value is first rotated left by one bit (within its width), so that a float's sign
 * moves to bit 0 and its exponent fills the top plane; rotate = 0 leaves it as it is (any other rotate,
or another width, is ELFZ_E_ARG). Returns width * n.
 */
ELFZ_API int64_t elfz_planes_split(const void *src, uint64_t n, int32_t width, int32_t rotate, uint8_t *planes,
                                   uint64_t planes_cap);

/*
 * The inverse of elfz_planes_split: width * n plane bytes from planes (planes_len bytes) back into n values of
 * `width` bytes in dst (dst_cap bytes, at least width * n), rotated right by one bit when rotate = 1.
 * Returns n.
 */
ELFZ_API int64_t elfz_planes_join(const uint8_t *planes, uint64_t planes_len, uint64_t n, int32_t width, int32_t rotate,
                                  void *dst, uint64_t dst_cap);

/*
 * Error-bound grid codes of n F32 or F64 values from src, computed in float64 (no fused operations):
 *
 *     q = rint(x / step)             (round half to even)
 *     y = q * step, rounded to the dtype (for F32: (float)(q * step))
 *
 * A value is an exception when x is not finite, |q| > 2^31 - 1 or |y - x| > bound; else its code is
 * zigzag(q) = (q << 1) ^ (q >> 31) as a uint32. Codes go to 4 byte planes of n bytes in codes (codes_cap
 * bytes, at least 4 * n): plane b, at codes + b * n, holds byte b (little-endian) of every code. Exceptions
 * are listed exactly as elfz_elf_encode lists them (exc_pos[i] = pos_base + index, exc_bits[i] the original
 * bits, uint32 for F32 and uint64 for F64; code 0), and the count is returned the same way: when it exceeds
 * exc_cap only the first exc_cap are stored. dtype is ELFZ_F32 or ELFZ_F64; step is finite and > 0, bound
 * finite and >= 0 (else ELFZ_E_ARG).
 */
ELFZ_API int64_t elfz_grid_encode(int32_t dtype, const void *src, uint64_t n, double step, double bound, uint8_t *codes,
                                  uint64_t codes_cap, uint64_t *exc_pos, void *exc_bits, uint64_t exc_cap,
                                  uint64_t pos_base);

/*
 * Decodes n grid codes from codes (codes_len bytes, at least 4 * n) into dst (dst_cap bytes, at least
 * n * dtype size): y = unzigzag(code) * step in float64, rounded to the dtype; then writes the n_exc
 * exceptions back as elfz_elf_decode does (exc_pos strictly increasing within [pos_base, pos_base + n),
 * else ELFZ_E_CORRUPT and nothing written). Returns n, or a negative status.
 */
ELFZ_API int64_t elfz_grid_decode(int32_t dtype, const uint8_t *codes, uint64_t codes_len, uint64_t n, double step,
                                  void *dst, uint64_t dst_cap, const uint64_t *exc_pos, const void *exc_bits,
                                  uint64_t n_exc, uint64_t pos_base);

/*
 * Entropy-codes a plane of n bytes from src into dst (dst_cap bytes, at least n + 1): a mode byte, then the
 * plane as it is (0, raw), the one byte that fills it (1, constant), or Huffman-coded (2): 4 streams of
 * canonical codes of at most 11 bits, each coding a quarter of the plane. The mode and the code lengths follow
 * fixed, integer-only rules (FORMAT.md, "entropy planes"), so every implementation writes the same bytes.
 * Returns the bytes written (at most n + 1; 1 for n = 0). Writes nothing past them.
 */
ELFZ_API int64_t elfz_entropy_encode(const uint8_t *src, uint64_t n, uint8_t *dst, uint64_t dst_cap);

/*
 * Decodes a plane written by elfz_entropy_encode, which is the whole of src (src_len bytes), into n bytes of
 * dst. Returns ELFZ_OK, or ELFZ_E_CORRUPT when src is not such a plane of n bytes (unknown mode, sizes that
 * do not add up, code lengths that are not a complete code of at most 11 bits, a stream that does not hold
 * exactly its quarter's symbols in exactly its bytes, nonzero padding); then dst holds unspecified bytes.
 * Never reads past src + src_len nor writes past dst + n.
 */
ELFZ_API int64_t elfz_entropy_decode(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n);

#ifdef __cplusplus
}
#endif

#endif /* ELFZ_H */
