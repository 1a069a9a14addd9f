package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The contract on the native kernel pinned to one ISA (the ISA is process-wide: restored afterwards). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PinnedIsaKernelTest extends KernelContractTest {

    /** scalar, avx2, avx512. */
    abstract String isa();

    @BeforeAll
    void pin() {
        assumeTrue(NativeLibrary.get().available(), () -> "native kernel: " + NativeLibrary.get().unavailableReason());
        assumeTrue(NativeKernel.supportedIsas().contains(isa()), () -> "this CPU has no " + isa());
        NativeKernel.selectIsa(isa());
    }

    @AfterAll
    void restore() {
        if (NativeLibrary.get().available()) {
            NativeKernel.selectIsa(NativeKernel.supportedIsa());
        }
    }

    @Override
    Kernel kernel() {
        return new NativeKernel();
    }

    @Test
    void theIsaIsActive() {
        assertEquals("native-" + isa(), kernel().name());
    }
}
