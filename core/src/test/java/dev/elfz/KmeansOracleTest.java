package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.DamagedElfzTest;
import dev.elfz.container.Verify;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * K-means through the container against the textbook (Lloyd's iteration, written here): on real BERT-base weights the
 * stored codebook's MSE, worked out from every value and its nearest centroid, is the index's estimate and the decoded
 * file's; the codebook is a fixed point of Lloyd's iteration on the values and as good as an independent run of it from
 * the same start. A
 * codebook damaged on purpose is caught by verify and by the promise oracle.
 */
class KmeansOracleTest {

    @TempDir
    static Path dir;

    static Path bert;

    @BeforeAll
    static void write() throws IOException {
        // the embeddings (LayerNorm, positions, token types, words), then the first words again
        bert = TestModels.bert(
                dir.resolve("bert.safetensors"), Dtype.F32, new long[] {512, 768}, new long[] {384, 768});
    }

    private static ElfzOptions kmeans(int bits, LossyOptions lossy) {
        return ElfzOptions.defaults()
                .withCodec(CodecChoice.KMEANS)
                .withLossy(lossy.withBits(bits))
                .withThreads(2);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void theCodebookIsLloydsOnTheRealValues(int bits) throws IOException {
        Path z = dir.resolve("bert-" + bits + ".elfz");
        Path back = dir.resolve("bert-" + bits + ".safetensors");
        Elfz.compress(bert, z, kmeans(bits, LossyOptions.NONE));
        Elfz.decompress(z, back, ElfzOptions.defaults());
        Verify.Report report = Verify.verify(bert, z, ElfzOptions.defaults());
        assertTrue(report.ok(), report.problems().toString());
        try (SafetensorsFile x = SafetensorsFile.open(bert);
                SafetensorsFile y = SafetensorsFile.open(back);
                ElfzReader r = ElfzReader.open(z)) {
            for (TensorInfo t : x.tensors()) {
                ElfzTensor et = r.tensor(t.name());
                assertEquals(Codec.KMEANS, et.codec(), t.name());
                double[] v = values(x.data(t), t.elements());
                double[] c = codebook(PromiseOracle.params(z).get(et.name()));
                double mse = nearestMse(v, c);
                double estimate =
                        ((Number) PromiseOracle.params(z).get(et.name()).get("mse")).doubleValue();
                assertEquals(mse, estimate, 0.01 * mse, t.name() + ": the index's estimate, from a histogram");
                assertEquals(
                        mse,
                        decodedMse(v, values(y.data(y.tensor(t.name())), t.elements())),
                        1e-9 * mse,
                        t.name() + ": every value decoded as its nearest centroid");
                // converged: one more step on the real values moves no centroid by more than 1% of the gap to its
                // neighbour (k-means ran on 2^16 bins of the values, not on the values)
                double[] next = lloydStep(v, c);
                for (int j = 0; j < c.length; j++) {
                    double gap = Math.min(
                            j > 0 ? c[j] - c[j - 1] : Double.MAX_VALUE,
                            j + 1 < c.length ? c[j + 1] - c[j] : Double.MAX_VALUE);
                    assertEquals(c[j], next[j], 0.01 * gap, t.name() + ": centroid " + j + " of " + Arrays.toString(c));
                }
                double lloyd = nearestMse(v, lloyd(v, c.length));
                assertEquals(lloyd, mse, 0.01 * lloyd, t.name() + ": an independent Lloyd's from the same start");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kmeans", "prune"})
    void aCentroidMovedOnPurposeIsCaughtByVerifyAndTheOracle(String mode) throws IOException {
        LossyOptions lossy = mode.equals("prune") ? LossyOptions.NONE.withPruneFraction(0.5) : LossyOptions.NONE;
        Path z = dir.resolve(mode + ".elfz");
        Elfz.compress(bert, z, kmeans(4, lossy));
        Path back = dir.resolve(mode + ".safetensors");
        Elfz.decompress(z, back, ElfzOptions.defaults());
        assertEquals(null, PromiseOracle.check(bert, back, z));
        double[] c;
        try (ElfzReader r = ElfzReader.open(z)) {
            ElfzTensor t = r.tensor("bert.0");
            assertEquals(mode.equals("prune") ? Codec.PRUNE : Codec.KMEANS, t.codec());
            Map<String, Object> p = PromiseOracle.params(z).get(t.name());
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = mode.equals("prune") ? (Map<String, Object>) p.get("inner_params") : p;
            c = codebook(inner);
        }
        double[] moved = c.clone();
        moved[7] = c[6] + (c[7] - c[6]) / 16; // still ascending, inside the range: the values of 7 now nearer 8
        Path bad = damaged(z, c, moved);

        Verify.Report report = Verify.verify(bert, bad, ElfzOptions.defaults());
        assertFalse(report.ok());
        assertEquals(1, report.problems().size(), report.problems().toString());
        // the values of 7 near 8, or those of 6 near the moved 7
        assertTrue(
                report.problems()
                        .getFirst()
                        .matches("tensor bert\\.0: value \\d+: \\S+ decoded as \\S+, centroid \\S+ is not the nearest"),
                report.problems().getFirst());
        Path badBack = dir.resolve(mode + "-bad.safetensors");
        Elfz.decompress(bad, badBack, ElfzOptions.defaults());
        String oracle = PromiseOracle.check(bert, badBack, bad);
        assertNotNull(oracle);
        assertTrue(oracle.startsWith("tensor bert.0 "), oracle);
    }

    @Test
    void aCentroidOutsideTheValuesIsCaughtEvenWhenNoValueDecodesToIt() throws IOException {
        Path in = dir.resolve("constant.safetensors");
        float[] w = new float[8192];
        Arrays.fill(w, 0.3f);
        SafetensorsWriter.write(
                in,
                List.of(new TensorSpec("w", Dtype.F32, new long[] {64, 128})),
                List.of(MemorySegment.ofArray(w)),
                Map.of(),
                true);
        Path z = dir.resolve("constant.elfz");
        Elfz.compress(in, z, kmeans(2, LossyOptions.NONE));
        double[] c;
        try (ElfzReader r = ElfzReader.open(z)) {
            assertEquals(Codec.KMEANS, r.tensor("w").codec());
            c = codebook(PromiseOracle.params(z).get("w"));
        }
        assertEquals(
                List.of(0.3f, 0.3f, 0.3f, 0.3f),
                Arrays.stream(c).mapToObj(v -> (float) v).toList());
        assertTrue(Verify.verify(in, z, ElfzOptions.defaults()).ok());
        double[] moved = c.clone();
        moved[3] = 5; // every value has code 0: they all still decode exactly
        Verify.Report report = Verify.verify(in, damaged(z, c, moved), ElfzOptions.defaults());
        assertEquals(
                List.of("tensor w: centroid 3 (5.0) lies outside the values' range [0.3, 0.3]"), report.problems());
    }

    /** A copy of the archive with one codebook replaced in its index (the index's checksum made right again). */
    private static Path damaged(Path z, double[] codebook, double[] replacement) throws IOException {
        Path bad = dir.resolve("damaged-" + z.getFileName());
        Files.write(
                bad,
                DamagedElfzTest.withIndex(
                        Files.readAllBytes(z),
                        json -> json.replace(codebookJson(codebook), codebookJson(replacement))));
        return bad;
    }

    private static String codebookJson(double[] c) {
        return "\"codebook_bits\":"
                + Arrays.stream(c)
                        .mapToObj(v -> String.valueOf(Float.floatToRawIntBits((float) v)))
                        .collect(Collectors.joining(",", "[", "]"));
    }

    private static double[] codebook(Map<String, Object> params) {
        return ((List<?>) params.get("codebook_bits"))
                .stream()
                        .mapToDouble(b -> Float.intBitsToFloat(((Number) b).intValue()))
                        .toArray();
    }

    private static double[] values(MemorySegment s, long n) {
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = s.getAtIndex(TestModels.F32, i);
        }
        return v;
    }

    /** The index of the centroid nearest to x (the first of equals). */
    private static int nearest(double x, double[] c) {
        int best = 0;
        for (int j = 1; j < c.length; j++) {
            if (Math.abs(x - c[j]) < Math.abs(x - c[best])) {
                best = j;
            }
        }
        return best;
    }

    /** The mean of (x - its nearest centroid)^2. */
    private static double nearestMse(double[] v, double[] c) {
        double sse = 0;
        for (double x : v) {
            double e = x - c[nearest(x, c)];
            sse += e * e;
        }
        return sse / v.length;
    }

    private static double decodedMse(double[] v, double[] decoded) {
        double sse = 0;
        for (int i = 0; i < v.length; i++) {
            sse += (v[i] - decoded[i]) * (v[i] - decoded[i]);
        }
        return sse / v.length;
    }

    /** One step of Lloyd's iteration: each centroid becomes the mean of the values nearest to it (or stays, if none). */
    private static double[] lloydStep(double[] v, double[] c) {
        double[] sum = new double[c.length];
        long[] count = new long[c.length];
        for (double x : v) {
            int j = nearest(x, c);
            sum[j] += x;
            count[j]++;
        }
        double[] next = c.clone();
        for (int j = 0; j < c.length; j++) {
            if (count[j] > 0) {
                next[j] = sum[j] / count[j];
            }
        }
        return next;
    }

    /**
     * Lloyd's iteration until no centroid moves (at most 300 steps) from the start the library documents: the values'
     * (j + 1/2)/k quantiles, the outer two at the minimum and maximum when k &gt; 2 (Deep Compression keeps the extremes;
     * on these weights at 2 bits that start ends 38% above the MSE plain quantiles reach, another local minimum).
     */
    private static double[] lloyd(double[] v, int k) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        double[] c = new double[k];
        for (int j = 0; j < k; j++) {
            c[j] = sorted[(int) ((j + 0.5) * sorted.length / k)];
        }
        if (k > 2) {
            c[0] = sorted[0];
            c[k - 1] = sorted[sorted.length - 1];
        }
        for (int step = 0; step < 300; step++) {
            double[] next = lloydStep(v, c);
            if (Arrays.equals(next, c)) {
                break;
            }
            c = next;
        }
        return c;
    }
}
