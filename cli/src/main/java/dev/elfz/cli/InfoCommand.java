package dev.elfz.cli;

import dev.elfz.FileKind;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** elfz info FILE.elfz: the files and tensors inside, read from the index (nothing is decoded). */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description =
                "Lists the files and tensors of an .elfz file: dtype, shape, codec, sizes, ratio, ELF exceptions.")
final class InfoCommand extends ElfzCommand {

    @Parameters(index = "0", paramLabel = "FILE.elfz", description = "An .elfz file.")
    Path file;

    /** The --json form. */
    record Summary(
            String file,
            String createdBy,
            String input,
            long bytes,
            long storedBytes,
            double ratio,
            int tensors,
            long exceptions,
            Map<String, Integer> codecs,
            Listing.BaseRow base,
            List<Listing.FileRow> files) {}

    @Override
    public Integer call() throws IOException {
        // The listing decodes no data (at most a pruned chunk's first entropy section), so the plain Java kernel,
        // which gives the same bytes as any other, serves: no native library to load or link before the first line.
        Listing l = Listing.read(existingFile(file), Kernels.named("java-scalar"));
        if (json) {
            printJson(new Summary(
                    file.toString(),
                    l.createdBy(),
                    l.input(),
                    l.bytes(),
                    l.fileBytes(),
                    Units.ratio(l.bytes(), l.fileBytes()),
                    l.tensors().size(),
                    l.exceptions(),
                    l.codecs(),
                    l.baseRow(),
                    l.files()));
            return 0;
        }
        out().printf(
                        "%s: %s, %d tensors, codecs %s; made by %s%n",
                        shown(file),
                        l.directory()
                                ? "a model directory of " + l.files().size() + " files"
                                : FileKind.ONNX.id().equals(l.files().getFirst().kind())
                                        ? "an ONNX file"
                                                + (l.files().size() > 1
                                                        ? " with " + (l.files().size() - 1) + " external data file"
                                                                + (l.files().size() > 2 ? "s" : "")
                                                        : "")
                                        : FileKind.TORCH
                                                        .id()
                                                        .equals(l.files()
                                                                .getFirst()
                                                                .kind())
                                                ? "a PyTorch checkpoint"
                                                : FileKind.GGUF
                                                                .id()
                                                                .equals(l.files()
                                                                        .getFirst()
                                                                        .kind())
                                                        ? "a GGUF file"
                                                        : "a safetensors file",
                        l.tensors().size(),
                        l.codecs(),
                        l.createdBy());
        if (l.baseLine() != null) {
            out().println(l.baseLine());
        }
        l.print(out());
        return 0;
    }
}
