package dev.elfz.kernel;

/** The contract on the native kernel pinned to AVX2 (on an AVX-512 CPU the default is AVX-512). */
class NativeAvx2KernelTest extends PinnedIsaKernelTest {
    @Override
    String isa() {
        return "avx2";
    }
}
