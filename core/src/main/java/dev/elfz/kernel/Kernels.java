package dev.elfz.kernel;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;

/**
 * Picks the kernel: {@code -Delfz.kernel=auto|native|java-vector|java-scalar}. Default auto: native when it
 * loads and has a SIMD path for this CPU; else the Java Vector API twin (plain Java where the JVM has no
 * vectors of 256 bits or more). A fallback is logged once, in one line, at INFO through {@link System.Logger}:
 * the application decides whether and how its user sees it.
 */
public final class Kernels {

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());

    private static volatile Kernel best;

    private Kernels() {}

    /** The kernel this process uses. */
    public static Kernel best() {
        Kernel k = best;
        if (k == null) {
            synchronized (Kernels.class) {
                if (best == null) {
                    best = choose(System.getProperty("elfz.kernel", "auto"));
                }
                k = best;
            }
        }
        return k;
    }

    /** A kernel by name: native, java-vector, java-scalar. */
    public static Kernel named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "native" -> new NativeKernel();
            case "java-vector" -> JavaVectorKernel.create();
            case "java-scalar" -> new JavaScalarKernel();
            default ->
                throw new IllegalArgumentException(
                        "unknown kernel " + name + " (auto, native, java-vector, java-scalar)");
        };
    }

    /** Every kernel that can run in this process, native first. */
    public static List<Kernel> available() {
        if (NativeLibrary.get().available()) {
            return List.of(new NativeKernel(), JavaVectorKernel.create(), new JavaScalarKernel());
        }
        return List.of(JavaVectorKernel.create(), new JavaScalarKernel());
    }

    private static Kernel choose(String wanted) {
        if (!"auto".equals(wanted)) {
            return named(wanted);
        }
        NativeLibrary lib = NativeLibrary.get();
        String why;
        if (!lib.available()) {
            why = "native kernel unavailable (" + lib.unavailableReason() + ")";
        } else if (NativeKernel.supportedIsa().equals("scalar") && JavaVectorKernel.accelerated()) {
            // A CPU without AVX2 (aarch64, old x86): the JIT's vectors beat the portable C loop.
            why = "the native kernel has no SIMD path for this CPU";
        } else {
            return new NativeKernel();
        }
        Kernel fallback = JavaVectorKernel.create();
        LOG.log(Level.INFO, why + "; using " + fallback.name());
        return fallback;
    }
}
