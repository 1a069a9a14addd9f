package dev.elfz.cli;

import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** elfz decompress IN.elfz [-o OUT]: the safetensors or ONNX file or model directory back. */
@Command(
        name = "decompress",
        mixinStandardHelpOptions = true,
        description =
                "Rebuilds the file (.safetensors, .onnx, PyTorch, .gguf) or model directory of IN.elfz as IN (or -o OUT).")
final class DecompressCommand extends WorkCommand {

    @Parameters(index = "0", paramLabel = "IN.elfz", description = "An .elfz file.")
    Path in;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "OUT",
            description = "The file or directory to write (default: IN without .elfz).")
    Path out;

    @Option(
            names = {"-f", "--force"},
            description = "Overwrite an existing output.")
    boolean force;

    @Option(
            names = "--base",
            paramLabel = "BASE",
            description = "The base model IN was compressed against (compress --base): the same file, directory or"
                    + " .elfz archive; each of its tensors the deltas need is checked against the hash IN recorded"
                    + " before anything is written.")
    Path base;

    @Option(
            names = "--fsync",
            description = "Force the output to disk before it appears (as zstd -d then sync); default: leave the"
                    + " writing to the kernel, as zstd -d and cp do.")
    boolean fsync;

    /** The --json summary. */
    record Summary(
            String input,
            String output,
            long inputBytes,
            long outputBytes,
            double seconds,
            double mbPerS,
            int threads,
            String kernel,
            int files,
            int tensors) {}

    @Override
    public Integer call() throws IOException {
        ElfzOptions o =
                options(shown(in)).withOverwrite(force).withSync(fsync).withBase(base == null ? null : existing(base));
        Path source = existingFile(in);
        Path target = out != null ? out : defaultTarget(source);
        Listing listing;
        long t0;
        try (ElfzReader reader = ElfzReader.open(source, o.kernel())) { // the index read once, for both
            listing = Listing.of(reader, Files.size(source));
            checkWritable(target, listing.directory(), force);
            t0 = System.nanoTime();
            try {
                Elfz.decompress(reader, target, o);
            } catch (IOException e) {
                throw Errors.naming(target, e);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long inBytes = listing.fileBytes();
        long outBytes = listing.bytes();
        if (json) {
            printJson(new Summary(
                    in.toString(),
                    target.toString(),
                    inBytes,
                    outBytes,
                    seconds,
                    Units.megabytesPerSecond(outBytes, seconds),
                    o.threads(),
                    o.kernel().name(),
                    listing.files().size(),
                    listing.tensors().size()));
        } else if (!quiet) {
            if (verbose) {
                listing.print(err());
            }
            err().printf(
                            Locale.ROOT,
                            "%s : %s => %s, %s in %s (%s)%n",
                            shown(in),
                            Units.bytes(inBytes),
                            Units.bytes(outBytes),
                            shown(target),
                            Units.seconds(seconds),
                            Units.speed(outBytes, seconds));
            err().flush();
        }
        return 0;
    }

    /** IN without .elfz; a name without that suffix needs -o, which the library cannot know of. */
    private static Path defaultTarget(Path source) throws IOException {
        try {
            return Elfz.decompressedName(source);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "; give the output with -o", e);
        }
    }
}
