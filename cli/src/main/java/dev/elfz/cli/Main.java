package dev.elfz.cli;

import dev.elfz.Elfz;
import dev.elfz.io.ExitCleanup;
import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.kernel.NativeLibrary;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The elfz command line. Exit codes: 0 success, 1 error (one line: the file and what is wrong; -v adds the stack
 * trace), 2 usage error (one line and a pointer to --help).
 */
@Command(
        name = "elfz",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Compresses model weights (ELF: sign + mantissa of 1+|x|, exceptions exact).",
        subcommands = {
            CompressCommand.class,
            DecompressCommand.class,
            InfoCommand.class,
            VerifyCommand.class,
            DemoCommand.class,
            AnalyzeCommand.class,
            EvalCommand.class,
            SweepCommand.class
        })
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (for tests). */
    public static int run(String... args) {
        LibraryNotes.install();
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (ExitCleanup.exiting()) {
                return 1; // a signal stopped the work: no error of the user's to report (the JVM exits 128 + it)
            }
            line.getErr().println("elfz: " + Errors.message(e));
            if (line.getCommand() instanceof ElfzCommand c && c.verbose) {
                e.printStackTrace(line.getErr());
            }
            line.getErr().flush();
            return 1;
        });
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine line = e.getCommandLine();
            line.getErr()
                    .println("elfz: " + Errors.oneLine(e.getMessage()) + " (see "
                            + line.getCommandSpec().qualifiedName() + " --help)");
            line.getErr().flush();
            return 2;
        });
        return cli.execute(args);
    }

    @Spec
    CommandSpec spec;

    /** No command given: a usage error listing the registered commands. */
    @Override
    public void run() {
        List<String> names = List.copyOf(spec.subcommands().keySet());
        throw new ParameterException(
                spec.commandLine(),
                "missing command: " + String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.getLast());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String kernel = Kernels.best().name();
            String isa = NativeLibrary.get().available()
                    ? "native ISA " + NativeKernel.activeIsa() + " (CPU supports " + NativeKernel.supportedIsa() + ")"
                    : "native kernel unavailable: " + NativeLibrary.get().unavailableReason();
            return new String[] {"elfz " + Elfz.VERSION, "kernel " + kernel + "; " + isa, "Java " + Runtime.version()};
        }
    }
}
