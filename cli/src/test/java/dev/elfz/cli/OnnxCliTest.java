package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static dev.elfz.onnx.OnnxBytes.floats;
import static dev.elfz.onnx.OnnxBytes.model;
import static dev.elfz.onnx.OnnxBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.onnx.OnnxBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX through the command line: round trip, info, verify, and malformed protobuf refused with nothing left. */
class OnnxCliTest {

    @TempDir
    Path dir;

    private static byte[] oneInitializer(OnnxBytes t) {
        return model(new OnnxBytes().string(2, "g").message(5, t));
    }

    private void compressFails(String name, byte[] bytes, String... parts) throws IOException {
        Cli.compressFails(dir, Files.write(dir.resolve(name), bytes), parts);
    }

    @Test
    void compressDecompressInfoAndVerify() throws IOException {
        Path in = Files.write(
                dir.resolve("m.onnx"),
                oneInitializer(tensor("w", 1, 64, 64).bytes(9, floats(OnnxBytes.weights(4096, 7)))));
        run("compress", in, "--codec", "lossless", "-q").succeeds();
        Path z = dir.resolve("m.onnx.elfz");
        Cli.Run info = run("info", z).succeeds();
        assertTrue(info.out().startsWith(z + ": an ONNX file, 1 tensors"), info.out());
        assertEquals(
                "onnx",
                run("info", z, "--json")
                        .succeeds()
                        .json()
                        .get("files")
                        .get(0)
                        .get("kind")
                        .asText());
        Files.move(in, dir.resolve("orig.onnx"));
        run("decompress", z, "-q").succeeds();
        assertEquals(-1, Files.mismatch(dir.resolve("orig.onnx"), in));
        Cli.Run verify = run("verify", in, z, "--json").succeeds();
        assertTrue(verify.json().get("ok").asBoolean());
        assertEquals("skeleton", verify.json().get("checks").get(0).get("kind").asText());
    }

    @Test
    void malformedProtobufIsRefused() throws IOException {
        byte[] good = oneInitializer(tensor("w", 1, 4).bytes(9, floats(1, 2, 3, 4)));
        compressFails("empty.onnx", new byte[0], "empty file, not an ONNX model");
        compressFails(
                "varint.onnx",
                new byte[] {0x08, (byte) 0x80, (byte) 0x80},
                "malformed protobuf at byte 1: truncated varint");
        compressFails(
                "cut.onnx",
                Arrays.copyOf(good, good.length - 20),
                "runs past the end of its message",
                "truncated file?");
        compressFails(
                "wire.onnx",
                oneInitializer(tensor("w", 1, 4).string(2, "FLOAT")),
                "TensorProto.data_type (field 2) has wire type 2, expected 0");
        compressFails(
                "graph.onnx",
                new OnnxBytes().varint(7, 1).toByteArray(),
                "ModelProto.graph (field 7) has wire type 0, expected 2");
        compressFails("group.onnx", new OnnxBytes().tag(5, 3).toByteArray(), "wire type 3 of field 5");
        compressFails(
                "nograph.onnx", new OnnxBytes().varint(1, 8).string(2, "x").toByteArray(), "no graph");
        compressFails(
                "size.onnx",
                oneInitializer(tensor("w", 1, 4, 8).bytes(9, floats(new float[31]))),
                "initializer \"w\": raw_data holds 124 bytes, data_type 1 dims [4, 8] needs 128");
        compressFails(
                "floatdata.onnx",
                oneInitializer(tensor("w", 7, 1).bytes(4, floats(1))),
                "initializer \"w\": float_data with data_type 7");
        compressFails(
                "twice.onnx",
                model(new OnnxBytes()
                        .message(5, tensor("w", 1, 1).bytes(9, floats(1)))
                        .message(5, tensor("w", 1, 1).bytes(9, floats(2)))),
                "initializer \"w\" appears twice");
        compressFails("negative.onnx", oneInitializer(tensor("w", 1, -1).bytes(9, floats(1))), "negative dimension");
    }

    @Test
    void aDamagedSkeletonIsCaughtBeforeTheOutputAppears() throws IOException {
        // the index of a 2.1 archive is checked like any other: a flipped skeleton byte fails its chunk's CRC32C
        Path in = Files.write(
                dir.resolve("m.onnx"), oneInitializer(tensor("w", 1, 4).bytes(9, floats(1, 2, 3, 4))));
        run("compress", in, "-q").succeeds();
        Path z = dir.resolve("m.onnx.elfz");
        byte[] b = Files.readAllBytes(z);
        b[16] ^= 1; // the first chunk: the skeleton's
        Files.write(z, b);
        Files.delete(in);
        List<String> before = Cli.listing(dir);
        run("decompress", z).failsWith("m.onnx skeleton", "damaged (CRC32C mismatch)");
        assertEquals(before, Cli.listing(dir));
    }
}
