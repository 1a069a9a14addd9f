package dev.elfz.kernel;

/** The contract on the plain Java kernel. */
class JavaScalarKernelTest extends KernelContractTest {
    @Override
    Kernel kernel() {
        return new JavaScalarKernel();
    }
}
