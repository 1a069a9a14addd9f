package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract on the native kernel pinned to AVX2 (on an AVX-512 CPU the default is AVX-512). */
class NativeAvx2KernelTest extends KernelContractTest {

    @BeforeAll
    static void avx2() {
        assumeTrue(NativeLibrary.get().available(), () -> "native kernel: " + NativeLibrary.get().unavailableReason());
        assumeTrue(NativeKernel.supportedIsas().contains("avx2"), "this CPU has no AVX2");
        NativeKernel.selectIsa("avx2");
    }

    @AfterAll
    static void restore() {
        if (NativeLibrary.get().available()) {
            NativeKernel.selectIsa(NativeKernel.supportedIsa());
        }
    }

    @Override
    Kernel kernel() {
        return new NativeKernel();
    }

    @Test
    void avx2IsActive() {
        assertEquals("native-avx2", kernel().name());
    }
}
