package dev.elfz.bench;

import dev.elfz.kernel.Kernel;
import org.openjdk.jmh.annotations.Param;

/**
 * A {@link KernelBench} run on each of the five implementations ({@code impl}: native-avx512 where the CPU has it,
 * native-avx2, native-scalar, java-vector, java-scalar) over weights of {@code data}: {@code bert} (BERT-base's
 * real float32 weights, from the jar given by {@code -Delfz.bert.jar}) or {@code synthetic} (Gaussian, sigma 0.05,
 * with outliers).
 */
public abstract class ImplBench extends KernelBench {

    @Param({"native-avx512", "native-avx2", "native-scalar", "java-vector", "java-scalar"})
    public String impl;

    @Param({"bert"})
    public String data;

    /** The kernel of {@link #impl}, its ISA selected by {@link #open}. */
    protected Kernel kernel;

    @Override
    protected void open() {
        super.open();
        kernel = kernel(impl);
    }
}
