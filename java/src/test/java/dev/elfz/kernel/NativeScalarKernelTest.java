package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract on the native kernel forced to its scalar C path (the ISA is process-wide). */
class NativeScalarKernelTest extends KernelContractTest {

    @BeforeAll
    static void scalar() {
        assumeTrue(NativeLibrary.get().available(), () -> "native kernel: " + NativeLibrary.get().unavailableReason());
        NativeKernel.selectIsa("scalar");
    }

    @AfterAll
    static void restore() {
        NativeKernel.selectIsa(NativeKernel.supportedIsa());
    }

    @Override
    Kernel kernel() {
        return new NativeKernel();
    }

    @Test
    void scalarIsActive() {
        assertEquals("native-scalar", kernel().name());
    }
}
