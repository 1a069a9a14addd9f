package dev.elfz.cli;

import dev.elfz.ElfzOptions;
import dev.elfz.container.Verify;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** elfz verify ORIGINAL FILE.elfz: every tensor decoded and compared with the original, within its bound. */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Checks that FILE.elfz gives back ORIGINAL, within the codecs' bounds.",
            "Decodes every tensor and compares it with ORIGINAL (the .safetensors or .onnx file or model directory it was "
                    + "made from): lossless tensors, headers and other files bit for bit, every other value within "
                    + "its codec's bound (ELF: 2^-24 for F32 when |x| < 1, exact otherwise; an error bound: E; "
                    + "uniform: half its group's scale; pruning: the threshold; k-means is only measured); names, "
                    + "dtypes, shapes and metadata alike.",
            "Exit status 0 when everything matches, 1 otherwise."
        })
final class VerifyCommand extends WorkCommand {

    @Parameters(
            index = "0",
            paramLabel = "ORIGINAL",
            description = "The .safetensors or .onnx file or model directory.")
    Path original;

    @Parameters(index = "1", paramLabel = "FILE.elfz", description = "The .elfz file made from it.")
    Path archive;

    @Option(
            names = "--base",
            paramLabel = "BASE",
            description = "The base model FILE.elfz was compressed against (compress --base).")
    Path base;

    /** One compared stream in --json. */
    record CheckRow(
            String kind,
            String file,
            String name,
            String dtype,
            String codec,
            long bytes,
            double bound,
            double maxError,
            double rmse,
            Double snrDb,
            boolean ok,
            String problem) {}

    /** The --json form. */
    record Summary(
            String original,
            String archive,
            boolean ok,
            int checked,
            double rmse,
            Double snrDb,
            List<String> problems,
            List<CheckRow> checks) {}

    @Override
    public Integer call() throws IOException {
        ElfzOptions o = options(shown(archive)).withBase(base == null ? null : existing(base));
        Verify.Report report = Verify.verify(existing(original), existingFile(archive), o);
        if (json) {
            List<CheckRow> rows = new ArrayList<>();
            for (Verify.Check c : report.checks()) {
                rows.add(new CheckRow(
                        c.kind().name().toLowerCase(Locale.ROOT),
                        c.file(),
                        c.name(),
                        c.dtype().name(),
                        c.codec().id(),
                        c.bytes(),
                        c.bound(),
                        c.maxError(),
                        c.rmse(),
                        Double.isInfinite(c.snrDb()) ? null : c.snrDb(),
                        c.ok(),
                        c.problem()));
            }
            printJson(new Summary(
                    original.toString(),
                    archive.toString(),
                    report.ok(),
                    rows.size(),
                    report.rmse(),
                    Double.isInfinite(report.snrDb()) ? null : report.snrDb(),
                    report.problems(),
                    rows));
        } else if (!quiet) {
            print(report);
        }
        if (!report.ok()) {
            int more = report.problems().size() - 1;
            err().println("elfz: "
                    + Errors.oneLine(archive + " does not match " + original + ": "
                            + report.problems().getFirst() + (more > 0 ? " (and " + more + " more)" : "")));
            err().flush();
            return 1;
        }
        if (!quiet && !json) {
            double max = report.checks().stream()
                    .mapToDouble(Verify.Check::maxError)
                    .max()
                    .orElse(0);
            long tensors = report.checks().stream()
                    .filter(c -> c.kind() == Verify.Kind.TENSOR)
                    .count();
            String overall = Double.isInfinite(report.snrDb())
                    ? ""
                    : String.format(Locale.ROOT, ", RMSE %s, SNR %.1f dB", error(report.rmse()), report.snrDb());
            err().printf(
                            Locale.ROOT,
                            "%s : OK, matches %s (%d tensors, largest error %s%s, within the bounds)%n",
                            shown(archive),
                            shown(original),
                            tensors,
                            error(max),
                            overall);
            err().flush();
        }
        return 0;
    }

    private void print(Verify.Report report) {
        int width =
                report.checks().stream().mapToInt(c -> c.what().length()).max().orElse(0);
        String row = "%-" + Math.max(width, 6) + "s  %-5s  %-7s  %10s  %10s  %10s  %8s  %s%n";
        out().printf(row, "stream", "dtype", "codec", "max error", "bound", "rmse", "snr dB", "result");
        for (Verify.Check c : report.checks()) {
            out().printf(
                            row,
                            c.what(),
                            c.kind() == Verify.Kind.TENSOR ? c.dtype() : "-",
                            c.codec().id(),
                            error(c.maxError()),
                            error(c.bound()),
                            error(c.rmse()),
                            Double.isInfinite(c.snrDb()) ? "-" : String.format(Locale.ROOT, "%.1f", c.snrDb()),
                            c.ok() ? "ok" : "BAD: " + Errors.oneLine(c.problem()));
        }
        out().flush();
    }

    private static String error(double e) {
        return e == 0 ? "0" : Double.isInfinite(e) ? "none" : String.format(Locale.ROOT, "%.3g", e);
    }
}
