/*
 * The entropy coder of elfz_entropy.c compiled again with -mbmi2 (CMakeLists.txt): every shift by a variable
 * count becomes shrx/shlx, one instruction with its count in any register, where plain x86-64 moves the count
 * to CL first and its shift also writes the flags; the coders' loops are mostly such shifts. The AVX2 and AVX-512
 * kernels use it; detect_isa requires BMI2 for them. The same source: the same bytes.
 */
#define ELFZ_ENTROPY_ISA bmi2
#include "elfz_entropy.c"
