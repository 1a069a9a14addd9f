package dev.elfz.spark;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The report as {@code elfz analyze --json} writes it (the same mapper settings), written whole or not at all. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    /** Writes {@code text} to a temporary name beside {@code uri}, then renames it (replacing an older one). */
    static void writeAtomically(Configuration conf, String uri, String text) throws IOException {
        FileSystem fs = Hub.fs(uri, conf);
        Path target = new Path(uri);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            throw new IOException(uri + ": could not rename " + tmp + " to it");
        }
    }
}
