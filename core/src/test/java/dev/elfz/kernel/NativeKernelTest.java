package dev.elfz.kernel;

/** The contract on the native kernel with the best ISA of this CPU (what the library picks by itself). */
class NativeKernelTest extends PinnedIsaKernelTest {
    @Override
    String isa() {
        return NativeKernel.supportedIsa();
    }
}
