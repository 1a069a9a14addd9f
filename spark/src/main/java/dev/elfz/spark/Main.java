package dev.elfz.spark;

import dev.elfz.analyze.Analysis;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark job (docs/spark.md): {@code analyze HUB -o REPORT [--slice BYTES]} and {@code compress HUB -o OUT
 * [--codec C] [--error-bound E] [--bits N] [--prune F] [--chunk-size BYTES]}. HUB, REPORT and OUT are Hadoop
 * FileSystem URIs (file:, hdfs:, s3a: ...) or local paths. Run through spark-submit or bin/elfz-spark.
 */
public final class Main {

    static final String USAGE = """
            usage: elfz-spark analyze HUB -o REPORT [--slice BYTES]
                   elfz-spark compress HUB -o OUT [--codec auto|elf|lossless|raw|uniform|kmeans] [--error-bound E]
                                              [--bits N] [--prune F] [--chunk-size BYTES]""";

    /** Tensor bytes a task scans at most (but one whole tensor): FastCDC runs over whole tensors. */
    static final long DEFAULT_SLICE = 256L << 20;

    private Main() {}

    public static void main(String[] args) {
        int code;
        SparkSession spark = null;
        try {
            Args a = Args.parse(args);
            spark = SparkSession.builder().appName("elfz " + a.command).getOrCreate();
            spark.sparkContext().setLogLevel("WARN"); // Spark's INFO lines would bury the job's one line
            code = run(spark, a, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("elfz-spark: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (Exception e) {
            System.err.println("elfz-spark: " + message(e));
            code = 1;
        } finally {
            if (spark != null) {
                spark.stop();
            }
        }
        System.exit(code);
    }

    /** Runs a parsed command on a session (the tests call this on theirs). */
    static int run(SparkSession spark, Args a, PrintStream out) throws Exception {
        if (a.command.equals("analyze")) {
            Analysis.Report r = AnalyzeJob.run(spark, a.hub, a.out, a.slice);
            out.printf(
                    Locale.ROOT,
                    "%d files, %d tensors, %d bytes: %s/report.json%n",
                    r.files().size(),
                    r.tensors(),
                    r.bytes(),
                    a.out);
        } else {
            List<CompressJob.Done> done = CompressJob.run(spark, a.hub, a.out, a.codecs);
            out.printf(
                    Locale.ROOT, "%d models compressed into %s (manifest: %s/_manifest)%n", done.size(), a.out, a.out);
        }
        return 0;
    }

    /** The innermost message that says something (Spark wraps a task's exception several times). */
    static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** The command line. */
    static final class Args {
        String command, hub, out;
        long slice = DEFAULT_SLICE;
        CompressJob.Codecs codecs = new CompressJob.Codecs(null, null, null, null, null);

        static Args parse(String... args) {
            Args a = new Args();
            List<String> rest = new ArrayList<>();
            String codec = null;
            Double errorBound = null, prune = null;
            Integer bits = null;
            Long chunk = null;
            for (int i = 0; i < args.length; i++) {
                String s = args[i];
                switch (s) {
                    case "-o", "--output" -> a.out = value(args, ++i, s);
                    case "--slice" -> a.slice = Long.parseLong(value(args, ++i, s));
                    case "--codec" -> codec = value(args, ++i, s);
                    case "--error-bound" -> errorBound = Double.parseDouble(value(args, ++i, s));
                    case "--bits" -> bits = Integer.parseInt(value(args, ++i, s));
                    case "--prune" -> prune = Double.parseDouble(value(args, ++i, s));
                    case "--chunk-size" -> chunk = Long.parseLong(value(args, ++i, s));
                    default -> {
                        if (s.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + s);
                        }
                        rest.add(s);
                    }
                }
            }
            if (rest.size() != 2 || !List.of("analyze", "compress").contains(rest.get(0))) {
                throw new IllegalArgumentException("expected analyze or compress and one HUB");
            }
            if (a.out == null) {
                throw new IllegalArgumentException("-o is required");
            }
            a.command = rest.get(0);
            a.hub = rest.get(1);
            a.codecs = new CompressJob.Codecs(codec, errorBound, bits, prune, chunk);
            return a;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }
}
