package dev.elfz.spark;

import org.apache.hadoop.fs.Path;

/** Hadoop's paths, for the classes that also use java.nio.file.Path (callers hold them as {@code var}). */
final class HadoopPaths {

    private HadoopPaths() {}

    static Path of(String uri) {
        return new Path(uri);
    }

    static Path child(String dir, String name) {
        return new Path(new Path(dir), name);
    }

    /** The last part of a path or URI. */
    static String name(String uri) {
        return new Path(uri).getName();
    }
}
