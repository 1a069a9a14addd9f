/* Internal declarations shared by the dispatcher and the per-ISA kernels. Not installed. */
#ifndef ELFZ_INTERNAL_H
#define ELFZ_INTERNAL_H

#include <stdint.h>
#include <string.h>

#define ELFZ_DTYPES 4
#define ELFZ_HIDDEN __attribute__((visibility("hidden")))

/* Largest n whose sizes cannot overflow 64 bits (values up to 8 bytes, codes up to 53 bits). */
#define ELFZ_MAX_N (UINT64_MAX / 64)

/* Where encode puts exceptions; count keeps growing past cap so the caller learns the size needed. */
typedef struct {
    uint64_t *pos;
    uint8_t *bits;
    uint64_t cap;
    uint64_t count;
    uint64_t base;
    int size; /* bytes per exception value */
} elfz_exc_sink;

static inline void elfz_exc_put(elfz_exc_sink *sink, uint64_t index, const uint8_t *value) {
    if (sink->count < sink->cap) {
        sink->pos[sink->count] = sink->base + index;
        memcpy(sink->bits + sink->count * (uint64_t)sink->size, value, (size_t)sink->size);
    }
    sink->count++;
}

/* Records the values of a SIMD group starting at g whose bit in `bad` is set, in order. */
static inline void elfz_exc_put_lanes(elfz_exc_sink *sink, unsigned bad, const uint8_t *src, uint64_t g, int vs) {
    while (bad) {
        int j = __builtin_ctz(bad);
        elfz_exc_put(sink, g + j, src + (g + j) * vs);
        bad &= bad - 1;
    }
}

/*
 * One ISA's kernels. Arguments are already validated by the dispatcher. Encode and decode work on the
 * value range [start, n) of a block of n values; start is a multiple of 8 so that the bit-packed
 * remainder plane starts on a byte boundary.
 */
typedef void (*elfz_encode_fn)(const uint8_t *src, uint64_t n, uint64_t start, uint8_t *codes, elfz_exc_sink *sink);
typedef void (*elfz_decode_fn)(const uint8_t *codes, uint64_t n, uint64_t start, uint8_t *dst);
typedef void (*elfz_pack_fn)(const uint8_t *codes, uint64_t n, int width, uint8_t *dst);
typedef void (*elfz_unpack_fn)(const uint8_t *src, uint64_t n, int width, uint8_t *codes);

/*
 * Uniform quantization works on runs: values of one group. The kernels see a group as scale, offset =
 * zero - qmin and top = 2^bits - 1: code = clamp(rint(x / scale) + offset, 0, top) and
 * x' = ((code & top) - offset) * scale. These are the codes of the public clamp to [qmin - zero, qmax - zero]:
 * rint gives an integer, to which adding the offset is exact while |rint| < 2^23, and beyond that the sum
 * is clamped to the same end. (Three arguments rather than a struct by value: GCC assembled that struct
 * in memory and read it back with a stalled store-to-load forward, 15 ns per call: AVX2 quantize with
 * groups of 32 ran at 6 GB/s instead of 25.)
 */
typedef void (*elfz_quantize_fn)(const uint8_t *src, uint64_t n, float scale, int32_t offset, int32_t top,
                                 uint8_t *codes);
typedef void (*elfz_dequantize_fn)(const uint8_t *codes, uint64_t n, float scale, int32_t offset, int32_t top,
                                   uint8_t *dst);
typedef void (*elfz_bucketize_fn)(const uint8_t *src, uint64_t n, const float *bounds, int n_bounds, uint8_t *codes);
/* table: the 2^bits entries already rounded to the dtype (elfz_lookup_table); top = 2^bits - 1 */
typedef void (*elfz_lookup_fn)(const uint8_t *codes, uint64_t n, const uint8_t *table, int top, uint8_t *dst);

/*
 * Byte planes: values [start, n) of a block of n values of `width` (2, 4, 8) bytes, plane b at planes + b * n;
 * rotate is 0 or 1.
 */
typedef void (*elfz_planes_split_fn)(const uint8_t *src, uint64_t n, uint64_t start, int width, int rotate,
                                     uint8_t *planes);
typedef void (*elfz_planes_join_fn)(const uint8_t *planes, uint64_t n, uint64_t start, int width, int rotate,
                                    uint8_t *dst);
/* Grid codes of values [start, n) of a block of n (F32 or F64: one function each), 4 planes at codes + b * n. */
typedef void (*elfz_grid_encode_fn)(const uint8_t *src, uint64_t n, uint64_t start, double step, double bound,
                                    uint8_t *codes, elfz_exc_sink *sink);
typedef void (*elfz_grid_decode_fn)(const uint8_t *codes, uint64_t n, uint64_t start, double step, uint8_t *dst);

/*
 * Entropy planes (elfz_entropy.c), arguments checked: encode writes at most n + 1 bytes and returns the size;
 * decode takes a plane of src_len >= 1 bytes.
 */
typedef int64_t (*elfz_entropy_encode_fn)(const uint8_t *src, uint64_t n, uint8_t *dst);
typedef int64_t (*elfz_entropy_decode_fn)(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n);

typedef struct {
    int isa;
    elfz_encode_fn encode[ELFZ_DTYPES];
    elfz_decode_fn decode[ELFZ_DTYPES];
    elfz_pack_fn pack;
    elfz_unpack_fn unpack;
    /* per dtype, ELFZ_DTYPES each: arrays of their own so that one ISA can take over another's */
    const elfz_quantize_fn *quantize;
    const elfz_dequantize_fn *dequantize;
    const elfz_bucketize_fn *bucketize;
    const elfz_lookup_fn *lookup;
    elfz_planes_split_fn planes_split;
    elfz_planes_join_fn planes_join;
    elfz_grid_encode_fn grid_encode[2]; /* [0] F32, [1] F64 */
    elfz_grid_decode_fn grid_decode[2];
    elfz_entropy_encode_fn entropy_encode;
    elfz_entropy_decode_fn entropy_decode;
} elfz_kernels;

ELFZ_HIDDEN extern const elfz_kernels elfz_kernels_scalar;

/* The scalar kernels one by one: the AVX2 kernels hand them their tails (and F64 whole). */
ELFZ_HIDDEN void elfz_encode_scalar_f32(const uint8_t *, uint64_t, uint64_t, uint8_t *, elfz_exc_sink *);
ELFZ_HIDDEN void elfz_encode_scalar_f16(const uint8_t *, uint64_t, uint64_t, uint8_t *, elfz_exc_sink *);
ELFZ_HIDDEN void elfz_encode_scalar_bf16(const uint8_t *, uint64_t, uint64_t, uint8_t *, elfz_exc_sink *);
ELFZ_HIDDEN void elfz_encode_scalar_f64(const uint8_t *, uint64_t, uint64_t, uint8_t *, elfz_exc_sink *);
ELFZ_HIDDEN void elfz_decode_scalar_f32(const uint8_t *, uint64_t, uint64_t, uint8_t *);
ELFZ_HIDDEN void elfz_decode_scalar_f16(const uint8_t *, uint64_t, uint64_t, uint8_t *);
ELFZ_HIDDEN void elfz_decode_scalar_bf16(const uint8_t *, uint64_t, uint64_t, uint8_t *);
ELFZ_HIDDEN void elfz_decode_scalar_f64(const uint8_t *, uint64_t, uint64_t, uint8_t *);
ELFZ_HIDDEN void elfz_pack_scalar(const uint8_t *codes, uint64_t n, int width, uint8_t *dst);
ELFZ_HIDDEN void elfz_unpack_scalar(const uint8_t *src, uint64_t n, int width, uint8_t *codes);
ELFZ_HIDDEN extern const elfz_quantize_fn elfz_quantize_scalar[ELFZ_DTYPES];
ELFZ_HIDDEN extern const elfz_dequantize_fn elfz_dequantize_scalar[ELFZ_DTYPES];
ELFZ_HIDDEN extern const elfz_bucketize_fn elfz_bucketize_scalar[ELFZ_DTYPES];
ELFZ_HIDDEN extern const elfz_lookup_fn elfz_lookup_scalar[ELFZ_DTYPES];
ELFZ_HIDDEN void elfz_planes_split_scalar(const uint8_t *, uint64_t, uint64_t, int, int, uint8_t *);
ELFZ_HIDDEN void elfz_planes_join_scalar(const uint8_t *, uint64_t, uint64_t, int, int, uint8_t *);
ELFZ_HIDDEN void elfz_grid_encode_scalar_f32(const uint8_t *, uint64_t, uint64_t, double, double, uint8_t *,
                                             elfz_exc_sink *);
ELFZ_HIDDEN void elfz_grid_encode_scalar_f64(const uint8_t *, uint64_t, uint64_t, double, double, uint8_t *,
                                             elfz_exc_sink *);
ELFZ_HIDDEN void elfz_grid_decode_scalar_f32(const uint8_t *, uint64_t, uint64_t, double, uint8_t *);
ELFZ_HIDDEN void elfz_grid_decode_scalar_f64(const uint8_t *, uint64_t, uint64_t, double, uint8_t *);
/* The entropy coder as compiled for any x86-64 or other CPU, and again with BMI2 (the AVX2 and AVX-512 levels). */
ELFZ_HIDDEN int64_t elfz_entropy_encode_scalar(const uint8_t *src, uint64_t n, uint8_t *dst);
ELFZ_HIDDEN int64_t elfz_entropy_decode_scalar(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n);
#if defined(ELFZ_HAVE_AVX2)
ELFZ_HIDDEN int64_t elfz_entropy_encode_bmi2(const uint8_t *src, uint64_t n, uint8_t *dst);
ELFZ_HIDDEN int64_t elfz_entropy_decode_bmi2(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n);
#endif
/* Rounds the 2^bits float32 entries of a lookup table to the dtype, as dequantization rounds, into out. */
ELFZ_HIDDEN void elfz_lookup_table(int dtype, const float *table, int entries, uint8_t *out);
#if defined(ELFZ_HAVE_AVX2)
ELFZ_HIDDEN extern const elfz_kernels elfz_kernels_avx2;
ELFZ_HIDDEN void elfz_pack_avx2(const uint8_t *codes, uint64_t n, int width, uint8_t *dst);
ELFZ_HIDDEN void elfz_unpack_avx2(const uint8_t *src, uint64_t n, int width, uint8_t *codes);
ELFZ_HIDDEN extern const elfz_quantize_fn elfz_quantize_avx2[ELFZ_DTYPES];
ELFZ_HIDDEN extern const elfz_dequantize_fn elfz_dequantize_avx2[ELFZ_DTYPES];
ELFZ_HIDDEN extern const elfz_bucketize_fn elfz_bucketize_avx2[ELFZ_DTYPES];
ELFZ_HIDDEN extern const elfz_lookup_fn elfz_lookup_avx2[ELFZ_DTYPES];
ELFZ_HIDDEN void elfz_planes_split_avx2(const uint8_t *, uint64_t, uint64_t, int, int, uint8_t *);
ELFZ_HIDDEN void elfz_planes_join_avx2(const uint8_t *, uint64_t, uint64_t, int, int, uint8_t *);
ELFZ_HIDDEN void elfz_grid_encode_avx2_f32(const uint8_t *, uint64_t, uint64_t, double, double, uint8_t *,
                                           elfz_exc_sink *);
ELFZ_HIDDEN void elfz_grid_encode_avx2_f64(const uint8_t *, uint64_t, uint64_t, double, double, uint8_t *,
                                           elfz_exc_sink *);
ELFZ_HIDDEN void elfz_grid_decode_avx2_f32(const uint8_t *, uint64_t, uint64_t, double, uint8_t *);
ELFZ_HIDDEN void elfz_grid_decode_avx2_f64(const uint8_t *, uint64_t, uint64_t, double, uint8_t *);
#endif
#if defined(ELFZ_HAVE_AVX512)
ELFZ_HIDDEN extern const elfz_kernels elfz_kernels_avx512;
#endif

/*
 * An ISA's quantization entry points per dtype and their arrays elfz_<op>_<isa>[ELFZ_DTYPES], made from the
 * static inline quantize_run, dequantize_run, bucketize_run and lookup_run of the file that expands it:
 * those take the dtype first, a constant in each entry point, so every dtype gets its own loop.
 */
#define ELFZ_QUANT_DTYPE(name, DT)                                                                                     \
    static void quantize_##name(const uint8_t *src, uint64_t n, float scale, int32_t offset, int32_t top,              \
                                uint8_t *codes) {                                                                      \
        quantize_run(DT, src, n, scale, offset, top, codes);                                                           \
    }                                                                                                                  \
    static void dequantize_##name(const uint8_t *codes, uint64_t n, float scale, int32_t offset, int32_t top,          \
                                  uint8_t *dst) {                                                                      \
        dequantize_run(DT, codes, n, scale, offset, top, dst);                                                         \
    }                                                                                                                  \
    static void bucketize_##name(const uint8_t *src, uint64_t n, const float *bounds, int n_bounds, uint8_t *codes) {  \
        bucketize_run(DT, src, n, bounds, n_bounds, codes);                                                            \
    }                                                                                                                  \
    static void lookup_##name(const uint8_t *codes, uint64_t n, const uint8_t *table, int top, uint8_t *dst) {         \
        lookup_run(DT, codes, n, table, top, dst);                                                                     \
    }
#define ELFZ_QUANT_KERNELS(isa)                                                                                        \
    ELFZ_QUANT_DTYPE(f32, ELFZ_F32)                                                                                    \
    ELFZ_QUANT_DTYPE(f16, ELFZ_F16)                                                                                    \
    ELFZ_QUANT_DTYPE(bf16, ELFZ_BF16)                                                                                  \
    ELFZ_QUANT_DTYPE(f64, ELFZ_F64)                                                                                    \
    const elfz_quantize_fn elfz_quantize_##isa[ELFZ_DTYPES] = {quantize_f32, quantize_f16, quantize_bf16,              \
                                                               quantize_f64};                                          \
    const elfz_dequantize_fn elfz_dequantize_##isa[ELFZ_DTYPES] = {dequantize_f32, dequantize_f16, dequantize_bf16,    \
                                                                   dequantize_f64};                                    \
    const elfz_bucketize_fn elfz_bucketize_##isa[ELFZ_DTYPES] = {bucketize_f32, bucketize_f16, bucketize_bf16,         \
                                                                 bucketize_f64};                                       \
    const elfz_lookup_fn elfz_lookup_##isa[ELFZ_DTYPES] = {lookup_f32, lookup_f16, lookup_bf16, lookup_f64};

/* Code width in bits and value size in bytes per dtype (index = ELFZ_F32 ...). */
ELFZ_HIDDEN extern const int elfz_code_width[ELFZ_DTYPES];
ELFZ_HIDDEN extern const int elfz_value_size[ELFZ_DTYPES];

/*
 * The one bit-packing step every ISA uses: 8 codes of `width` (1..8) bits, one per byte of v
 * (little-endian), -> 8*width bits LSB-first, by merging neighbours in 16-, 32- and 64-bit lanes (SWAR;
 * pext does the same in one instruction but is microcoded on many AMD CPUs).
 */
static inline uint64_t elfz_pack8(uint64_t v, int width) {
    const uint64_t b = (1u << width) - 1, b2 = (1u << 2 * width) - 1, b4 = (1ull << 4 * width) - 1;
    v &= b * 0x0101010101010101ull;
    v = (v & b * 0x0001000100010001ull) | ((v >> (8 - width)) & (b << width) * 0x0001000100010001ull);
    v = (v & b2 * 0x0000000100000001ull) | ((v >> (16 - 2 * width)) & (b2 << 2 * width) * 0x0000000100000001ull);
    return (v & b4) | ((v >> (32 - 4 * width)) & (b4 << 4 * width));
}

/* The inverse: 8*width bits -> 8 codes, one per byte of the result. */
static inline uint64_t elfz_unpack8(uint64_t v, int width) {
    const uint64_t b = (1u << width) - 1, b2 = (1u << 2 * width) - 1, b4 = (1ull << 4 * width) - 1;
    v = (v & b4) | ((v << (32 - 4 * width)) & (b4 << 32));
    v = (v & b2 * 0x0000000100000001ull) | ((v << (16 - 2 * width)) & (b2 << 16) * 0x0000000100000001ull);
    return (v & b * 0x0001000100010001ull) | ((v << (8 - width)) & (b << 8) * 0x0001000100010001ull);
}

/* Little-endian loads and stores of the first `len` (<= 8) bytes. */
static inline uint64_t elfz_load_le(const uint8_t *p, int len) {
    uint64_t v = 0;
    for (int i = 0; i < len; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void elfz_store_le(uint8_t *p, uint64_t v, int len) {
    for (int i = 0; i < len; i++) p[i] = (uint8_t)(v >> (8 * i));
}

#endif
