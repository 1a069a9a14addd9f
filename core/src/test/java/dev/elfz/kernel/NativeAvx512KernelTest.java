package dev.elfz.kernel;

/** The contract on the native kernel pinned to AVX-512: skipped, and said so, on a CPU without it. */
class NativeAvx512KernelTest extends PinnedIsaKernelTest {
    @Override
    String isa() {
        return "avx512";
    }
}
