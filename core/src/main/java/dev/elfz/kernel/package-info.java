/**
 * The compute kernels behind one contract ({@link dev.elfz.kernel.Kernel}): the C library through FFM, the Java Vector
 * API twin and plain Java, chosen by {@link dev.elfz.kernel.Kernels}; the entropy stage's planes. Not API.
 */
package dev.elfz.kernel;
