package dev.elfz.kernel;

/** The contract on the native kernel forced to its scalar C path. */
class NativeScalarKernelTest extends PinnedIsaKernelTest {
    @Override
    String isa() {
        return "scalar";
    }
}
