package dev.elfz.kernel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;

/** The contract on the native kernel with the best ISA of this CPU (AVX2 here). */
class NativeKernelTest extends KernelContractTest {

    @BeforeAll
    static void nativeLoaded() {
        assumeTrue(NativeLibrary.get().available(), () -> "native kernel: " + NativeLibrary.get().unavailableReason());
        NativeKernel.selectIsa(NativeKernel.supportedIsa());
    }

    @Override
    Kernel kernel() {
        return new NativeKernel();
    }
}
