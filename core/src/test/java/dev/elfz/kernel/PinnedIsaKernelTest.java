package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The contract on the native kernel pinned to one ISA (the ISA is process-wide: restored afterwards). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PinnedIsaKernelTest extends KernelContractTest {

    /** scalar, avx2, avx512. */
    abstract String isa();

    @BeforeAll
    void pin() {
        if (NativeLibrary.get().available() && NativeKernel.supportedIsas().contains(isa())) {
            NativeKernel.selectIsa(isa());
        }
    }

    /** Each test, not the class: JUnit reports each one skipped with the reason (a class aborted in @BeforeAll counts 0). */
    @BeforeEach
    void needIsa() {
        NativeRequired.assumeIsa(isa());
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
