/**
 * elfz: compression of model weights. The API is {@link dev.elfz}; every other package is the library's own and may
 * change in any release (the command line, {@code dev.elfz.cli}, reads them through qualified exports).
 */
module dev.elfz.core {
    requires dev.elfz.bindings;
    requires com.fasterxml.jackson.databind;
    requires jdk.incubator.vector;

    exports dev.elfz;

    // Types the API still names (options, kernels, dtypes, the index records) until it has its own views of them.
    exports dev.elfz.codec;
    exports dev.elfz.codec.uniform;
    exports dev.elfz.container;
    exports dev.elfz.kernel;
    exports dev.elfz.safetensors;

    exports dev.elfz.codec.elf to dev.elfz.cli;
    exports dev.elfz.codec.grid to dev.elfz.cli;
    exports dev.elfz.codec.kmeans to dev.elfz.cli;
    exports dev.elfz.codec.lossless to dev.elfz.cli;
    exports dev.elfz.codec.prune to dev.elfz.cli;
    exports dev.elfz.codec.registry to dev.elfz.cli;
    exports dev.elfz.io to dev.elfz.cli;
    exports dev.elfz.onnx to dev.elfz.cli;

    // The index is JSON read and written by Jackson through its records.
    opens dev.elfz.container to com.fasterxml.jackson.databind;
}
