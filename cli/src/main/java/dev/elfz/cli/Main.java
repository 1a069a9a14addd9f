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
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The elfz command line. Exit codes: 0 success, 1 error (one line: the file and what is wrong; -v adds the stack
 * trace), 2 usage error (one line and a pointer to --help).
 */
@Command(
        name = "elfz",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Compresses model weights (ELF: sign + mantissa of 1+|x|, exceptions exact).")
public final class Main implements Runnable {

    /** The commands, in the order --help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(
            CompressCommand.class,
            DecompressCommand.class,
            InfoCommand.class,
            VerifyCommand.class,
            DemoCommand.class,
            AnalyzeCommand.class,
            EvalCommand.class,
            SweepCommand.class);

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (for tests). */
    public static int run(String... args) {
        LibraryNotes.install();
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println(String.join(System.lineSeparator(), versionLines()));
            return 0; // what picocli prints, without building it: that is most of the start-up
        }
        CommandLine cli = commandLine(args);
        cli.setExecutionStrategy(Main::execute);
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

    /**
     * Runs what the line asks for, once no part of it is left over. Picocli lets an unknown option pass when --help or
     * --version is among the options; here it is the usual usage error.
     */
    private static int execute(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (!p.unmatched().isEmpty()) {
                throw new UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
            }
        }
        return new RunLast().execute(parsed);
    }

    /** The whole command line, every command registered (what --help and the docs show). */
    static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line for these arguments. Picocli reflects over every option of every registered command when it
     * is built, so a line naming a command gets that one only; anything else (--help, no command, a misspelt one)
     * gets them all, for their listing and messages.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        boolean named = COMMANDS.stream().anyMatch(c -> name(c).equals(first));
        for (Class<?> c : COMMANDS) {
            if (!named || name(c).equals(first)) {
                cli.addSubcommand(c);
            }
        }
        return cli;
    }

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
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

    /** What --version prints: the version, the kernel in use, the JDK. */
    static String[] versionLines() {
        String kernel = Kernels.best().name();
        String isa = NativeLibrary.get().available()
                ? "native ISA " + NativeKernel.activeIsa() + " (CPU supports " + NativeKernel.supportedIsa() + ")"
                : "native kernel unavailable: " + NativeLibrary.get().unavailableReason();
        return new String[] {"elfz " + Elfz.VERSION, "kernel " + kernel + "; " + isa, "Java " + Runtime.version()};
    }

    /** The same lines for picocli (`elfz --version` itself does not get here; `-V` among other options does). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return versionLines();
        }
    }
}
