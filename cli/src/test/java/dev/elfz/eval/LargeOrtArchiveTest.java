package dev.elfz.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.onnx.ExternalData;
import dev.elfz.onnx.OnnxBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated model over 2 GiB (two float32 tables of 1.1 GB in one external data file, each read by a Gather) opened
 * straight from its archive: every initializer goes in through ONNX Runtime's external initializers, and the rows the
 * model gathers are the generated values, bit for bit. Writes 2.2 GB of data file and its archive, and takes 1.5 minutes
 * on a busy 2-core machine: so it runs only with {@code -Delfz.large=true}, as {@code benchmarks/ort.sh} runs it.
 */
@EnabledIfSystemProperty(named = "elfz.large", matches = "true", disabledReason = "2.2 GB: benchmarks/ort.sh runs it")
class LargeOrtArchiveTest {

    static final int ROWS = 1 << 18;
    static final int COLS = 1056; // 2 x 2^18 x 1056 x 4 bytes = 2.21 GB, over 2^31
    static final int FLOAT = 1;
    static final int INT64 = 7;

    @TempDir
    Path dir;

    @Test
    void aModelOver2GiBRunsFromItsArchive() throws Exception {
        Path model = dir.resolve("large.onnx");
        long dataBytes = write(model, "large.onnx_data");
        assertTrue(dataBytes > Integer.MAX_VALUE, dataBytes + " bytes");
        Path z = dir.resolve("large.onnx.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        Files.delete(model.resolveSibling("large.onnx_data")); // the session must not read it
        long[] rows = {0, 1, 12345, ROWS - 1};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = OrtArchive.open(z);
                OnnxTensor ids = OnnxTensor.createTensor(env, rows);
                OrtSession.Result r = s.run(Map.of("ids", ids))) {
            for (int t = 0; t < 2; t++) {
                FloatBuffer got = ((OnnxTensor) r.get(t == 0 ? "ya" : "yb").orElseThrow()).getFloatBuffer();
                assertEquals(rows.length * COLS, got.remaining());
                for (int i = 0; i < rows.length; i++) {
                    for (int c = 0; c < COLS; c++) {
                        assertEquals(value(t, rows[i], c), got.get(i * COLS + c), "table " + t + " row " + rows[i]);
                    }
                }
            }
        }
    }

    /** Table t's value at (row, col): small weight-like floats that every row makes different. */
    static float value(int t, long row, int col) {
        return ((row * 7 + col * 13 + t * 101) % 2003 - 1001) / 4096f;
    }

    /** The model (two Gathers over external tables) and its data file; returns the data file's size. */
    static long write(Path model, String location) throws IOException {
        long table = (long) ROWS * COLS * 4;
        OnnxBytes graph = new OnnxBytes()
                .message(1, OnnxBytes.node("Gather", List.of("a", "ids"), "ya"))
                .message(1, OnnxBytes.node("Gather", List.of("b", "ids"), "yb"))
                .string(2, "large")
                .message(5, external("a", location, 0, table))
                .message(5, external("b", location, table, table))
                .message(11, OnnxBytes.valueInfo("ids", INT64, "n"))
                .message(12, OnnxBytes.valueInfo("ya", FLOAT, "n", COLS))
                .message(12, OnnxBytes.valueInfo("yb", FLOAT, "n", COLS));
        Files.write(model, OnnxBytes.model(graph));
        Path data = model.resolveSibling(location);
        ByteBuffer rowBytes = ByteBuffer.allocateDirect(64 * COLS * 4).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int t = 0; t < 2; t++) {
                for (long row = 0; row < ROWS; row += 64) {
                    rowBytes.clear();
                    for (long r = row; r < row + 64; r++) {
                        for (int c = 0; c < COLS; c++) {
                            rowBytes.putFloat(value(t, r, c));
                        }
                    }
                    rowBytes.flip();
                    while (rowBytes.hasRemaining()) {
                        ch.write(rowBytes);
                    }
                }
            }
        }
        return Files.size(data);
    }

    private static OnnxBytes external(String name, String location, long offset, long length) {
        return ExternalData.tensor(
                name,
                FLOAT,
                new long[] {ROWS, COLS},
                "location",
                location,
                "offset",
                Long.toString(offset),
                "length",
                Long.toString(length));
    }
}
