package dev.elfz.kernel;

/** The contract on the Java Vector API kernel. */
class JavaVectorKernelTest extends KernelContractTest {
    @Override
    Kernel kernel() {
        return JavaVectorKernel.create();
    }
}
