package dev.elfz.cli;

import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.Index;
import dev.elfz.codec.CodecChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/** elfz compress IN [-o OUT]: a safetensors file or a model directory into one .elfz file. */
@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Compresses a .safetensors file or a model directory into IN.elfz (or -o OUT).")
final class CompressCommand extends WorkCommand {

    @Parameters(index = "0", paramLabel = "IN", description = "A .safetensors file or a model directory.")
    Path in;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "The .elfz file to write (default IN.elfz).")
    Path out;

    @Option(names = {"-f", "--force"}, description = "Overwrite an existing output.")
    boolean force;

    @Option(names = "--codec", paramLabel = "auto|elf|raw", defaultValue = "auto", converter = CodecConverter.class,
            description = "auto: ELF for F32/F64, the rest as it is; elf: ELF for every float (F16, BF16 too); "
                    + "raw: everything as it is (lossless). Default ${DEFAULT-VALUE}.")
    CodecChoice codec;

    @Option(names = "--chunk-size", paramLabel = "BYTES", defaultValue = "1M", converter = Units.SizeConverter.class,
            description = "Input bytes per chunk, e.g. 256K, 1M, 64M (default ${DEFAULT-VALUE}).")
    long chunkBytes;

    /** auto, elf or raw, in any case; the error lists them as they are typed. */
    static final class CodecConverter implements ITypeConverter<CodecChoice> {
        @Override
        public CodecChoice convert(String value) {
            try {
                return CodecChoice.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not auto, elf or raw");
            }
        }
    }

    /** The --json summary. */
    record Summary(String input, String output, long inputBytes, long outputBytes, double ratio, double seconds,
                   double mbPerS, int threads, String kernel, String codec, long chunkBytes, Map<String, Integer> codecs,
                   List<Listing.FileRow> files) {}

    @Override
    public Integer call() throws IOException {
        if (chunkBytes < 64 || chunkBytes > ElfzOptions.MAX_CHUNK_BYTES) {
            throw new ParameterException(spec.commandLine(), "--chunk-size must be between 64 bytes and 1G, not "
                    + chunkBytes);
        }
        ElfzOptions o = options(shown(in)).withCodec(codec).withOverwrite(force).withChunkBytes(chunkBytes);
        Path source = existing(in);
        Path target = out != null ? out : Path.of(shown(Elfz.compressedName(source)));
        checkWritable(target, false, force);
        long t0 = System.nanoTime();
        Index.Archive archive;
        try {
            archive = Elfz.compress(source, target, o);
        } catch (IOException e) {
            throw Errors.naming(target, e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long inBytes = archive.files().stream().mapToLong(Index.FileEntry::size).sum();
        long outBytes = Files.size(target);
        if (json) {
            Listing listing = Listing.read(target, o.kernel());
            printJson(new Summary(in.toString(), target.toString(), inBytes, outBytes, Units.ratio(inBytes, outBytes),
                    seconds, Units.megabytesPerSecond(inBytes, seconds), o.threads(), o.kernel().name(),
                    codec.name().toLowerCase(Locale.ROOT), o.chunkBytes(), listing.codecs(), listing.files()));
        } else if (!quiet) {
            if (verbose) {
                Listing.read(target, o.kernel()).print(err());
            }
            err().printf(Locale.ROOT, "%s : %6.2f%%   (%s => %s, %s) %.3fx in %s (%s)%n", shown(in),
                    100.0 * outBytes / Math.max(1, inBytes), Units.bytes(inBytes), Units.bytes(outBytes), shown(target),
                    Units.ratio(inBytes, outBytes), Units.seconds(seconds), Units.speed(inBytes, seconds));
            err().flush();
        }
        return 0;
    }
}
