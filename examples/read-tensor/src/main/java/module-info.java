/** A user's application: reads tensors of .elfz files through elfz's API, nothing else of elfz. */
module dev.elfz.examples.readtensor {
    requires dev.elfz.core;
}
