package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.FineTunes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --base} on the command line: compress, info, verify and decompress of a fine-tune of BERT weights. */
class BaseCliTest {

    @TempDir
    Path dir;

    @Test
    void aFineTuneRoundTripsAgainstItsBase() throws IOException {
        Path base = FineTunes.base(dir.resolve("base.safetensors"), 12, 48, 64);
        Path ft = FineTunes.derive(
                base,
                dir.resolve("ft.safetensors"),
                Map.of(
                        "bert.4",
                        FineTunes.both(FineTunes.tuned(4), FineTunes.specials(7)),
                        "bert.0",
                        FineTunes.grown(2)),
                Map.of());
        Path z = dir.resolve("ft.elfz");
        run("compress", "-q", "--codec", "lossless", ft, "--base", base, "-o", z)
                .succeeds(); // lossless: bert.0, coded alone, comes back bit for bit too

        String info = run("info", z).succeeds().out();
        assertTrue(info.contains("stored against the base [base.safetensors"), info);
        assertTrue(info.contains("11 of 12 tensors"), info);
        JsonNode row = run("info", "--json", z).succeeds().json().get("base");
        assertEquals(11, row.get("delta_tensors").asInt(), row.toString());
        assertEquals(Files.size(base), row.get("files").get(0).get("size").asLong(), row.toString());

        assertTrue(run("verify", "--json", ft, z, "--base", base)
                .succeeds()
                .json()
                .get("ok")
                .asBoolean());
        Path back = dir.resolve("back.safetensors");
        run("decompress", "-q", z, "--base", base, "-o", back).succeeds();
        assertEquals(-1, Files.mismatch(ft, back));
    }

    @Test
    void withoutItsBaseOrWithAnotherOneIsOneLineAndNothingWritten() throws IOException {
        Path base = FineTunes.base(dir.resolve("base.safetensors"), 6, 32, 32);
        Path ft = FineTunes.derive(base, dir.resolve("ft.safetensors"), Map.of("bert.1", FineTunes.tuned(1)), Map.of());
        Path other = FineTunes.derive(
                base, dir.resolve("other.safetensors"), Map.of("bert.2", FineTunes.tuned(2)), Map.of());
        Path z = dir.resolve("ft.elfz");
        run("compress", "-q", ft, "--base", base, "-o", z).succeeds();
        List<String> before = Cli.listing(dir);
        Path out = dir.resolve("out.safetensors");
        run("decompress", z, "-o", out).failsWith("tensor bert.0 is stored as a delta", "--base");
        run("decompress", z, "--base", other, "-o", out)
                .failsWith("other.safetensors", "is not the base of tensor bert.2");
        run("verify", ft, z, "--base", other).failsWith("is not the base of tensor bert.2");
        run("decompress", z, "--base", dir.resolve("nothing.safetensors"), "-o", out)
                .failsWith("nothing.safetensors");
        assertEquals(before, Cli.listing(dir), "nothing written");
    }

    @Test
    void quantizationOrRawWithABaseIsAUsageError() throws IOException {
        Path base = FineTunes.base(dir.resolve("base.safetensors"), 2, 16, 16);
        List<String> before = Cli.listing(dir);
        run("compress", base, "--base", base, "--codec", "uniform").usageError("--base", "codec uniform");
        run("compress", base, "--base", base, "--codec", "raw").usageError("--base", "codec raw");
        assertEquals(before, Cli.listing(dir), "nothing written");
    }
}
