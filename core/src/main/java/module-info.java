/**
 * elfz: compression of model weights. The API is {@link dev.elfz}, plus {@link dev.elfz.kernel.Kernel} and
 * {@link dev.elfz.kernel.Kernels} to pick the native kernel or its pure-Java twin; every other package is the
 * library's own and may change in any release (the command line, {@code dev.elfz.cli}, reads them through qualified
 * exports).
 */
module dev.elfz.core {
    requires dev.elfz.bindings;
    requires com.fasterxml.jackson.databind;
    requires jdk.incubator.vector;
    requires hash4j;

    exports dev.elfz;
    exports dev.elfz.kernel;
    exports dev.elfz.codec to
            dev.elfz.cli;
    exports dev.elfz.codec.elf to
            dev.elfz.cli;
    exports dev.elfz.codec.grid to
            dev.elfz.cli;
    exports dev.elfz.codec.kmeans to
            dev.elfz.cli;
    exports dev.elfz.codec.lossless to
            dev.elfz.cli;
    exports dev.elfz.codec.prune to
            dev.elfz.cli;
    exports dev.elfz.codec.registry to
            dev.elfz.cli;
    exports dev.elfz.codec.uniform to
            dev.elfz.cli;
    exports dev.elfz.container to
            dev.elfz.cli;
    exports dev.elfz.gguf to
            dev.elfz.cli;
    exports dev.elfz.io to
            dev.elfz.cli;
    exports dev.elfz.onnx to
            dev.elfz.cli;
    exports dev.elfz.safetensors to
            dev.elfz.cli;
    exports dev.elfz.torch to
            dev.elfz.cli;

    // The index is JSON read and written by Jackson through its records.
    opens dev.elfz.container to
            com.fasterxml.jackson.databind;
}
