/* Public entry points: argument checks, then dispatch to the active ISA's kernels. */
#include "elfz.h"
#include "elfz_internal.h"

#include <float.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static const elfz_kernels *kernels_of(int isa) {
#if defined(ELFZ_HAVE_AVX512)
    if (isa == ELFZ_ISA_AVX512) return &elfz_kernels_avx512;
#endif
#if defined(ELFZ_HAVE_AVX2)
    if (isa == ELFZ_ISA_AVX2) return &elfz_kernels_avx2;
#endif
    (void)isa;
    return &elfz_kernels_scalar;
}

/* cpuid for the instructions plus xgetbv for the OS saving YMM state. */
static int detect_isa(void) {
#if defined(ELFZ_HAVE_AVX2)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return ELFZ_ISA_SCALAR;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx || !f16c) return ELFZ_ISA_SCALAR;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6) != 6) return ELFZ_ISA_SCALAR;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return ELFZ_ISA_SCALAR;
    int avx2 = (b >> 5) & 1, bmi2 = (b >> 8) & 1, avx512f = (b >> 16) & 1;
    if (!avx2 || !bmi2) return ELFZ_ISA_SCALAR; /* the AVX2 level's entropy coder is the BMI2 build */
#if defined(ELFZ_HAVE_AVX512)
    /* XCR0 bits 5-7: opmask, upper halves of ZMM0-15, ZMM16-31 */
    if (avx512f && (xcr0_lo & 0xe0) == 0xe0) return ELFZ_ISA_AVX512;
#else
    (void)avx512f;
#endif
    return ELFZ_ISA_AVX2;
#else
    return ELFZ_ISA_SCALAR;
#endif
}

static int isa_from_name(const char *s) {
    if (s == NULL) return -1;
    if (strcmp(s, "scalar") == 0) return ELFZ_ISA_SCALAR;
    if (strcmp(s, "avx2") == 0) return ELFZ_ISA_AVX2;
    if (strcmp(s, "avx512") == 0) return ELFZ_ISA_AVX512;
    return -1;
}

static int supported_isa = -1;
static const elfz_kernels *active; /* NULL until first use */

/* Idempotent, so a race between two first callers is harmless. */
static const elfz_kernels *current(void) {
    const elfz_kernels *k = __atomic_load_n(&active, __ATOMIC_ACQUIRE);
    if (k) return k;
    int isa = elfz_isa_supported();
    int cap = isa_from_name(getenv("ELFZ_MAX_ISA"));
    if (cap >= 0 && cap < isa) isa = cap;
    k = kernels_of(isa);
    __atomic_store_n(&active, k, __ATOMIC_RELEASE);
    return k;
}

int32_t elfz_version(void) { return ELFZ_VERSION_MAJOR << 16 | ELFZ_VERSION_MINOR << 8 | ELFZ_VERSION_PATCH; }

const char *elfz_status_message(int64_t status) {
    switch (status) {
    case ELFZ_OK: return "ok";
    case ELFZ_E_NULL: return "a required pointer is NULL";
    case ELFZ_E_ARG: return "an argument is out of range";
    case ELFZ_E_CAPACITY: return "an output buffer is too small";
    case ELFZ_E_TRUNCATED: return "an input buffer is shorter than its count implies";
    case ELFZ_E_CORRUPT:
        return "corrupt input: exception positions out of range or out of order, or not a valid entropy plane";
    case ELFZ_E_UNSUPPORTED: return "the instruction set is not supported here";
    default: return status > 0 ? "ok" : "unknown status";
    }
}

int32_t elfz_isa_supported(void) {
    int isa = __atomic_load_n(&supported_isa, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = detect_isa();
        __atomic_store_n(&supported_isa, isa, __ATOMIC_RELAXED);
    }
    return isa;
}

int32_t elfz_isa_active(void) { return current()->isa; }

int32_t elfz_isa_select(int32_t isa) {
    if (isa < ELFZ_ISA_SCALAR || isa > ELFZ_ISA_AVX512) return ELFZ_E_ARG;
    if (isa > elfz_isa_supported()) return ELFZ_E_UNSUPPORTED;
    __atomic_store_n(&active, kernels_of(isa), __ATOMIC_RELEASE);
    return isa;
}

const char *elfz_isa_name(int32_t isa) {
    switch (isa) {
    case ELFZ_ISA_SCALAR: return "scalar";
    case ELFZ_ISA_AVX2: return "avx2";
    case ELFZ_ISA_AVX512: return "avx512";
    default: return "unknown";
    }
}

static int valid_dtype(int32_t dtype) { return dtype >= 0 && dtype < ELFZ_DTYPES; }

int32_t elfz_elf_code_width(int32_t dtype) { return valid_dtype(dtype) ? elfz_code_width[dtype] : ELFZ_E_ARG; }

static uint64_t code_bytes(int dtype, uint64_t n) {
    int w = elfz_code_width[dtype];
    return (uint64_t)(w / 8) * n + (n * (uint64_t)(w % 8) + 7) / 8;
}

int64_t elfz_elf_code_bytes(int32_t dtype, uint64_t n) {
    if (!valid_dtype(dtype) || n > ELFZ_MAX_N) return ELFZ_E_ARG;
    return (int64_t)code_bytes(dtype, n);
}

/* ---- Exceptions: shared by the ELF and grid codes ---- */

/* Where encode puts up to cap exceptions, positions counted from pos_base. */
static elfz_exc_sink exc_sink(int32_t dtype, uint64_t *pos, void *bits, uint64_t cap, uint64_t pos_base) {
    return (elfz_exc_sink){
        .pos = pos, .bits = bits, .cap = cap, .count = 0, .base = pos_base, .size = elfz_value_size[dtype]};
}

/*
 * True when at most n positions lie in [pos_base, pos_base + n) and strictly increase. Decode checks them all
 * before it writes anything, so a corrupt list leaves dst untouched.
 */
static int exceptions_in_order(const uint64_t *pos, uint64_t n_exc, uint64_t n, uint64_t pos_base) {
    if (n_exc > n) return 0;
    for (uint64_t i = 0; i < n_exc; i++) {
        const uint64_t p = pos[i];
        if (p < pos_base || p - pos_base >= n || (i && p <= pos[i - 1])) return 0;
    }
    return 1;
}

/* Puts each exception's original bits (size bytes) back over the value decoded at its position. */
static void patch_exceptions(void *dst, uint64_t size, const uint64_t *pos, const void *bits, uint64_t n_exc,
                             uint64_t pos_base) {
    for (uint64_t i = 0; i < n_exc; i++)
        memcpy((uint8_t *)dst + (pos[i] - pos_base) * size, (const uint8_t *)bits + i * size, size);
}

int64_t elfz_elf_encode(int32_t dtype, const void *src, uint64_t n, void *codes, uint64_t codes_cap, uint64_t *exc_pos,
                        void *exc_bits, uint64_t exc_cap, uint64_t pos_base) {
    if (!valid_dtype(dtype) || n > ELFZ_MAX_N || pos_base > UINT64_MAX - n) return ELFZ_E_ARG;
    if ((n && (!src || !codes)) || (exc_cap && (!exc_pos || !exc_bits))) return ELFZ_E_NULL;
    if (codes_cap < code_bytes(dtype, n)) return ELFZ_E_CAPACITY;
    elfz_exc_sink sink = exc_sink(dtype, exc_pos, exc_bits, exc_cap, pos_base);
    if (n) current()->encode[dtype](src, n, 0, codes, &sink);
    return (int64_t)sink.count;
}

int64_t elfz_elf_decode(int32_t dtype, const void *codes, uint64_t codes_len, uint64_t n, void *dst, uint64_t dst_cap,
                        const uint64_t *exc_pos, const void *exc_bits, uint64_t n_exc, uint64_t pos_base) {
    if (!valid_dtype(dtype) || n > ELFZ_MAX_N || pos_base > UINT64_MAX - n) return ELFZ_E_ARG;
    if ((n && (!codes || !dst)) || (n_exc && (!exc_pos || !exc_bits))) return ELFZ_E_NULL;
    if (codes_len < code_bytes(dtype, n)) return ELFZ_E_TRUNCATED;
    const uint64_t size = (uint64_t)elfz_value_size[dtype];
    if (dst_cap < n * size) return ELFZ_E_CAPACITY;
    if (!exceptions_in_order(exc_pos, n_exc, n, pos_base)) return ELFZ_E_CORRUPT;
    if (n) current()->decode[dtype](codes, n, 0, dst);
    patch_exceptions(dst, size, exc_pos, exc_bits, n_exc, pos_base);
    return (int64_t)n;
}

static uint64_t packed_bytes(uint64_t n, int width) {
    return (n / 8) * (uint64_t)width + ((n % 8) * (uint64_t)width + 7) / 8;
}

int64_t elfz_pack_bits(const uint8_t *codes, uint64_t n, int32_t width, uint8_t *dst, uint64_t dst_cap) {
    if (width < 1 || width > 8 || n > ELFZ_MAX_N) return ELFZ_E_ARG;
    if (n && (!codes || !dst)) return ELFZ_E_NULL;
    uint64_t need = packed_bytes(n, width);
    if (dst_cap < need) return ELFZ_E_CAPACITY;
    if (n) current()->pack(codes, n, width, dst);
    return (int64_t)need;
}

int64_t elfz_unpack_bits(const uint8_t *src, uint64_t src_len, uint64_t n, int32_t width, uint8_t *codes,
                         uint64_t codes_cap) {
    if (width < 1 || width > 8 || n > ELFZ_MAX_N) return ELFZ_E_ARG;
    if (n && (!src || !codes)) return ELFZ_E_NULL;
    if (src_len < packed_bytes(n, width)) return ELFZ_E_TRUNCATED;
    if (codes_cap < n) return ELFZ_E_CAPACITY;
    if (n) current()->unpack(src, n, width, codes);
    return (int64_t)n;
}

/* Checks shared by quantize and dequantize; every run of values sharing a group goes to one kernel call. */
static int32_t uniform(int inverse, int32_t dtype, const uint8_t *in, uint64_t n, uint64_t group_size,
                       uint64_t group_offset, const float *scales, const int8_t *zeros, int32_t bits, uint8_t *out) {
    if (!valid_dtype(dtype) || n > ELFZ_MAX_N || bits < 1 || bits > 8 || group_size == 0 ||
        group_offset >= group_size || group_offset > UINT64_MAX - n)
        return ELFZ_E_ARG;
    if (n && (!in || !scales || !zeros || !out)) return ELFZ_E_NULL;
    const elfz_kernels *k = current();
    const uint64_t vs = (uint64_t)elfz_value_size[dtype], in_step = inverse ? 1 : vs, out_step = inverse ? vs : 1;
    uint64_t i = 0, g = 0, len = group_size - group_offset; /* the first run ends where its group does */
    while (i < n) {
        if (len > n - i) len = n - i;
        const int32_t offset = zeros[g] + (1 << (bits - 1)), top = (1 << bits) - 1; /* offset = zero - qmin */
        if (inverse) k->dequantize[dtype](in + i * in_step, len, scales[g], offset, top, out + i * out_step);
        else k->quantize[dtype](in + i * in_step, len, scales[g], offset, top, out + i * out_step);
        i += len;
        g++;
        len = group_size;
    }
    return ELFZ_OK;
}

int32_t elfz_quantize(int32_t dtype, const void *src, uint64_t n, uint64_t group_size, uint64_t group_offset,
                      const float *scales, const int8_t *zeros, int32_t bits, uint8_t *codes) {
    return uniform(0, dtype, src, n, group_size, group_offset, scales, zeros, bits, codes);
}

int32_t elfz_dequantize(int32_t dtype, const uint8_t *codes, uint64_t n, uint64_t group_size, uint64_t group_offset,
                        const float *scales, const int8_t *zeros, int32_t bits, void *dst) {
    return uniform(1, dtype, codes, n, group_size, group_offset, scales, zeros, bits, dst);
}

int32_t elfz_bucketize(int32_t dtype, const void *src, uint64_t n, const float *bounds, int32_t n_bounds,
                       uint8_t *codes) {
    if (!valid_dtype(dtype) || n > ELFZ_MAX_N || n_bounds < 0 || n_bounds > 255) return ELFZ_E_ARG;
    if ((n && (!src || !codes)) || (n_bounds && !bounds)) return ELFZ_E_NULL;
    if (n) current()->bucketize[dtype](src, n, bounds, n_bounds, codes);
    return ELFZ_OK;
}

int32_t elfz_lookup(int32_t dtype, const uint8_t *codes, uint64_t n, const float *table, int32_t bits, void *dst) {
    if (!valid_dtype(dtype) || n > ELFZ_MAX_N || bits < 1 || bits > 8) return ELFZ_E_ARG;
    if (n && (!codes || !table || !dst)) return ELFZ_E_NULL;
    if (n == 0) return ELFZ_OK;
    /* The table rounded to the dtype once, by the scalar code: the kernels only copy entries. */
    uint64_t rounded[256];
    elfz_lookup_table(dtype, table, 1 << bits, (uint8_t *)rounded);
    current()->lookup[dtype](codes, n, (const uint8_t *)rounded, (1 << bits) - 1, dst);
    return ELFZ_OK;
}

/* ---- Entropy planes: the active ISA's coder (elfz_entropy.c) ---- */

int64_t elfz_entropy_encode(const uint8_t *src, uint64_t n, uint8_t *dst, uint64_t dst_cap) {
    if (n > ELFZ_MAX_N) return ELFZ_E_ARG;
    if (!dst || (n && !src)) return ELFZ_E_NULL;
    if (dst_cap < n + 1) return ELFZ_E_CAPACITY;
    return current()->entropy_encode(src, n, dst);
}

int64_t elfz_entropy_decode(const uint8_t *src, uint64_t src_len, uint8_t *dst, uint64_t n) {
    if (n > ELFZ_MAX_N) return ELFZ_E_ARG;
    if ((src_len && !src) || (n && !dst)) return ELFZ_E_NULL;
    if (src_len == 0) return ELFZ_E_CORRUPT; /* no mode */
    return current()->entropy_decode(src, src_len, dst, n);
}

/* ---- Byte planes and grid codes ---- */

static int valid_planes(uint64_t n, int32_t width, int32_t rotate) {
    return (width == 2 || width == 4 || width == 8) && (rotate == 0 || rotate == 1) && n <= ELFZ_MAX_N;
}

int64_t elfz_planes_split(const void *src, uint64_t n, int32_t width, int32_t rotate, uint8_t *planes,
                          uint64_t planes_cap) {
    if (!valid_planes(n, width, rotate)) return ELFZ_E_ARG;
    if (n && (!src || !planes)) return ELFZ_E_NULL;
    const uint64_t bytes = n * (uint64_t)width;
    if (planes_cap < bytes) return ELFZ_E_CAPACITY;
    if (n) current()->planes_split(src, n, 0, width, rotate, planes);
    return (int64_t)bytes;
}

int64_t elfz_planes_join(const uint8_t *planes, uint64_t planes_len, uint64_t n, int32_t width, int32_t rotate,
                         void *dst, uint64_t dst_cap) {
    if (!valid_planes(n, width, rotate)) return ELFZ_E_ARG;
    if (n && (!planes || !dst)) return ELFZ_E_NULL;
    const uint64_t bytes = n * (uint64_t)width;
    if (planes_len < bytes) return ELFZ_E_TRUNCATED;
    if (dst_cap < bytes) return ELFZ_E_CAPACITY;
    if (n) current()->planes_join(planes, n, 0, width, rotate, dst);
    return (int64_t)n;
}

/* F32 or F64, a finite step > 0 (bound: finite, >= 0, checked by encode); index into grid_encode/grid_decode. */
static int grid_args(int32_t dtype, uint64_t n, uint64_t pos_base, double step) {
    if (dtype != ELFZ_F32 && dtype != ELFZ_F64) return ELFZ_E_ARG;
    if (n > ELFZ_MAX_N || pos_base > UINT64_MAX - n) return ELFZ_E_ARG;
    if (!(step > 0 && step <= DBL_MAX)) return ELFZ_E_ARG; /* false for NaN */
    return dtype == ELFZ_F64;
}

int64_t elfz_grid_encode(int32_t dtype, const void *src, uint64_t n, double step, double bound, uint8_t *codes,
                         uint64_t codes_cap, uint64_t *exc_pos, void *exc_bits, uint64_t exc_cap, uint64_t pos_base) {
    const int k = grid_args(dtype, n, pos_base, step);
    if (k < 0 || !(bound >= 0 && bound <= DBL_MAX)) return ELFZ_E_ARG;
    if ((n && (!src || !codes)) || (exc_cap && (!exc_pos || !exc_bits))) return ELFZ_E_NULL;
    if (codes_cap < 4 * n) return ELFZ_E_CAPACITY;
    elfz_exc_sink sink = exc_sink(dtype, exc_pos, exc_bits, exc_cap, pos_base);
    if (n) current()->grid_encode[k](src, n, 0, step, bound, codes, &sink);
    return (int64_t)sink.count;
}

int64_t elfz_grid_decode(int32_t dtype, const uint8_t *codes, uint64_t codes_len, uint64_t n, double step, void *dst,
                         uint64_t dst_cap, const uint64_t *exc_pos, const void *exc_bits, uint64_t n_exc,
                         uint64_t pos_base) {
    const int k = grid_args(dtype, n, pos_base, step);
    if (k < 0) return ELFZ_E_ARG;
    if ((n && (!codes || !dst)) || (n_exc && (!exc_pos || !exc_bits))) return ELFZ_E_NULL;
    if (codes_len < 4 * n) return ELFZ_E_TRUNCATED;
    const uint64_t size = (uint64_t)elfz_value_size[dtype];
    if (dst_cap < n * size) return ELFZ_E_CAPACITY;
    if (!exceptions_in_order(exc_pos, n_exc, n, pos_base)) return ELFZ_E_CORRUPT;
    if (n) current()->grid_decode[k](codes, n, 0, step, dst);
    patch_exceptions(dst, size, exc_pos, exc_bits, n_exc, pos_base);
    return (int64_t)n;
}
