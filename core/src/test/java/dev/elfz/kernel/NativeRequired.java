package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test of the native kernel does when the library is not there: under CI ({@code CI=true}, as {@code .ci/run}
 * sets it) it fails with one line, since a CI run must test the native kernel; elsewhere it is skipped with the reason
 * (JUnit reports it as skipped, by name), never passed. Turned off on purpose ({@code -Delfz.native=false}), it is
 * skipped under CI too, as native/build.sh then builds nothing without failing.
 */
final class NativeRequired {

    private NativeRequired() {}

    /** Returns when the native library is loaded; else fails (CI) or skips the test. */
    static void assume() {
        NativeLibrary lib = NativeLibrary.get();
        if (lib.available()) {
            return;
        }
        if ("true".equals(System.getenv("CI")) && !"false".equals(System.getProperty("elfz.native"))) {
            fail("CI=true but the native kernel is not loaded: " + lib.unavailableReason());
        }
        assumeTrue(false, () -> "native kernel not loaded (not CI, so skipped): " + lib.unavailableReason());
    }

    /** As {@link #assume}, then skips (never fails: a CPU lacks what it lacks) when this CPU has no {@code isa}. */
    static void assumeIsa(String isa) {
        assume();
        assumeTrue(
                NativeKernel.supportedIsas().contains(isa),
                () -> "this CPU has no " + isa + " (it has " + NativeKernel.supportedIsas() + ")");
    }
}
