package dev.elfz.cli;

import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.kernel.NativeLibrary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The elfz command line. Exit codes: 0 success, 1 error, 2 usage error. */
@Command(name = "elfz", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Compresses model weights (ELF: sign + mantissa of 1+|x|, exceptions exact).",
        subcommands = {DemoCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("elfz: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        return cli.execute(args);
    }

    @Spec
    CommandSpec spec;

    /** No command given: a usage error. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (try elfz demo, or elfz --help)");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String kernel = Kernels.best().name();
            String isa = NativeLibrary.get().available()
                    ? "native ISA " + NativeKernel.activeIsa() + " (CPU supports " + NativeKernel.supportedIsa() + ")"
                    : "native kernel unavailable: " + NativeLibrary.get().unavailableReason();
            return new String[] {"elfz 0.1.0", "kernel " + kernel + "; " + isa, "Java " + Runtime.version()};
        }
    }
}
