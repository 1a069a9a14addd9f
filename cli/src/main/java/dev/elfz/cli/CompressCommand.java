package dev.elfz.cli;

import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** elfz compress IN [-o OUT]: a safetensors or ONNX file or a model directory into one .elfz file. */
@Command(
        name = "compress",
        mixinStandardHelpOptions = true,
        description =
                "Compresses a .safetensors, .onnx, PyTorch (.bin, .pt, .pth) or .gguf file or a model directory into "
                        + "IN.elfz (or -o OUT).")
final class CompressCommand extends WorkCommand {

    @Parameters(
            index = "0",
            paramLabel = "IN",
            description = "A .safetensors, .onnx, PyTorch or .gguf file or a model directory.")
    Path in;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "OUT",
            description = "The .elfz file to write (default IN.elfz).")
    Path out;

    @Option(
            names = {"-f", "--force"},
            description = "Overwrite an existing output.")
    boolean force;

    @Option(
            names = "--fsync",
            description = "Force the archive to disk before it appears (as zstd then sync); default: leave the"
                    + " writing to the kernel, as zstd and cp do.")
    boolean fsync;

    @Option(
            names = "--base",
            paramLabel = "BASE",
            description = "The model IN was fine-tuned from (a safetensors file, an ONNX model, a model directory or an"
                    + " .elfz archive of one): each tensor with a base tensor of the same name, dtype and shape is"
                    + " stored as a delta when that is smaller: the XOR (codecs auto, lossless), or the difference"
                    + " within the bound (--error-bound, --codec elf)."
                    + " Decompressing needs the same base.")
    Path base;

    @Mixin
    CodecOptions codecs;

    /** The --json summary. */
    record Summary(
            String input,
            String output,
            long inputBytes,
            long outputBytes,
            double ratio,
            double seconds,
            double mbPerS,
            int threads,
            String kernel,
            String codec,
            long chunkBytes,
            Map<String, Integer> codecs,
            List<Listing.FileRow> files) {}

    @Override
    public Integer call() throws IOException {
        ElfzOptions o = codecs.apply(options(shown(in)).withOverwrite(force).withSync(fsync));
        try {
            o = o.withBase(base == null ? null : existing(base));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(codecs.spec.commandLine(), "--base: " + e.getMessage());
        }
        Path source = existing(in);
        Path target = out != null ? out : Path.of(shown(Elfz.compressedName(source)));
        checkWritable(target, false, force);
        long t0 = System.nanoTime();
        ElfzArchive archive;
        try {
            archive = Elfz.compress(source, target, o);
        } catch (IOException e) {
            throw Errors.naming(target, e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long inBytes = archive.originalBytes();
        long outBytes = Files.size(target);
        if (json) {
            Listing listing = Listing.read(target, o.kernel());
            printJson(new Summary(
                    in.toString(),
                    target.toString(),
                    inBytes,
                    outBytes,
                    Units.ratio(inBytes, outBytes),
                    seconds,
                    Units.megabytesPerSecond(inBytes, seconds),
                    o.threads(),
                    o.kernel().name(),
                    codecs.codec.name().toLowerCase(Locale.ROOT),
                    o.chunkBytes(),
                    listing.codecs(),
                    listing.files()));
        } else if (!quiet) {
            if (verbose) {
                Listing.read(target, o.kernel()).print(err());
            }
            err().printf(
                            Locale.ROOT,
                            "%s : %6.2f%%   (%s => %s, %s) %.3fx in %s (%s)%n",
                            shown(in),
                            100.0 * outBytes / Math.max(1, inBytes),
                            Units.bytes(inBytes),
                            Units.bytes(outBytes),
                            shown(target),
                            Units.ratio(inBytes, outBytes),
                            Units.seconds(seconds),
                            Units.speed(inBytes, seconds));
            err().flush();
        }
        return 0;
    }
}
