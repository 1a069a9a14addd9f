package dev.elfz.kernel;

/** The contract on the native kernel with the best ISA of this CPU (AVX-512 on the CI machine). */
class NativeKernelTest extends PinnedIsaKernelTest {
    @Override
    String isa() {
        return NativeKernel.supportedIsa();
    }
}
