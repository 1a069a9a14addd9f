package dev.elfz.safetensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Safetensors files assembled byte by byte, as the reference writer lays them out. */
final class SafetensorsTestFiles {

    private SafetensorsTestFiles() {}

    /** The header JSON padded with spaces to a multiple of 8, as the reference pads it. */
    static byte[] padded(String json) {
        StringBuilder sb = new StringBuilder(json);
        while (sb.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
            sb.append(' ');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** 8-byte little-endian length, header bytes as given, then the data. */
    static byte[] assemble(long headerLength, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(headerLength)
                .array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** A file with this JSON header (padded) followed by {@code dataBytes} bytes 0, 1, 2, ... */
    static Path file(Path dir, String name, String json, int dataBytes) throws IOException {
        byte[] header = padded(json);
        byte[] data = new byte[dataBytes];
        for (int i = 0; i < dataBytes; i++) {
            data[i] = (byte) i;
        }
        return write(dir, name, assemble(header.length, header, data));
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }
}
