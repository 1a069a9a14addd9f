package dev.elfz.spark;

import java.net.URI;
import org.apache.hadoop.fs.Path;

/** Hadoop's paths for tests that also use java.nio's, whose simple names clash. */
final class HdfsPaths {

    private HdfsPaths() {}

    static Path of(String path) {
        return new Path(path);
    }

    static Path of(URI uri) {
        return new Path(uri);
    }
}
