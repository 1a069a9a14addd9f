package dev.elfz.cli;

import dev.elfz.Elfz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The files a distribution installs beside the command, made from the same picocli definitions as --help so that they
 * never disagree with it: the bash completion (picocli's generator; zsh runs the same script through bashcompinit)
 * and a man page in troff.
 *
 * <pre>java -cp ... dev.elfz.cli.ShellFiles DIR</pre>
 *
 * writes DIR/share/bash-completion/completions/elfz, DIR/share/zsh/site-functions/_elfz and DIR/share/man/man1/elfz.1.
 */
public final class ShellFiles {

    /** The man page's text width: man indents option blocks by 7 columns on an 80-column terminal. */
    private static final int MAN_WIDTH = 72;

    private ShellFiles() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ShellFiles DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        write(dir.resolve("share/bash-completion/completions/elfz"), bashCompletion());
        write(dir.resolve("share/zsh/site-functions/_elfz"), zshCompletion());
        write(dir.resolve("share/man/man1/elfz.1"), manPage());
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8); // into the distribution's staging directory
    }

    /** The bash completion script for every command and option. */
    static String bashCompletion() {
        return AutoComplete.bash("elfz", Main.commandLine());
    }

    /**
     * zsh's completion function file: compinit autoloads it on the first completion of elfz. Its body defines the bash
     * functions, whose {@code complete} (through bashcompinit) registers them for later completions, then completes
     * this first one itself.
     */
    static String zshCompletion() {
        return "#compdef elfz\n"
                + "# elfz's bash completion, run by zsh through bashcompinit.\n"
                + "autoload -U +X bashcompinit && bashcompinit\n"
                // bash's compopt (the script's alias for it comes too late: zsh parsed this whole file as one function)
                + "(( $+functions[compopt] )) || compopt() { return 0; }\n"
                + bashCompletion()
                + "\n_bash_complete -F _complete_elfz \"$@\"\n";
    }

    /** elfz(1): the synopsis, the description, then each command with its options as --help shows them. */
    static String manPage() {
        CommandLine cli = Main.commandLine();
        CommandSpec main = cli.getCommandSpec();
        StringBuilder m = new StringBuilder();
        m.append(".TH ELFZ 1 \"\" \"elfz ").append(Elfz.VERSION).append("\" \"User Commands\"\n");
        m.append(".SH NAME\nelfz \\- ")
                .append(roff(String.join(" ", main.usageMessage().description())));
        m.append("\n.SH SYNOPSIS\n");
        preformatted(m, help(main).synopsis(0));
        for (CommandLine sub : subcommands(cli)) {
            preformatted(m, help(sub.getCommandSpec()).synopsis(0));
        }
        m.append(".SH DESCRIPTION\n");
        m.append(".B elfz\ncompresses model weights (safetensors, ONNX, PyTorch, GGUF, model directories) into .elfz"
                + " archives, losslessly or within the bound each codec states, and decompresses them. Run\n"
                + ".B elfz COMMAND \\-\\-help\nfor one command's help.\n");
        m.append(".SH OPTIONS\n");
        preformatted(m, help(main).optionList());
        m.append(".SH COMMANDS\n");
        for (CommandLine sub : subcommands(cli)) {
            CommandSpec spec = sub.getCommandSpec();
            Help help = help(spec);
            m.append(".SS ").append(roff(spec.name())).append('\n');
            m.append(roff(String.join(" ", spec.usageMessage().description()))).append('\n');
            preformatted(m, help.synopsis(0) + "\n" + help.parameterList() + help.optionList());
        }
        m.append(".SH EXIT STATUS\n0 on success, 1 on an error (one line on stderr naming the file and what is wrong),"
                + " 2 on a usage error.\n");
        m.append(".SH ENVIRONMENT\n");
        m.append(".TP\n.B NO_COLOR\nWhen set to anything but the empty string, no progress bar is drawn"
                + " (none is drawn either when stderr is not a terminal, or with \\-q).\n");
        m.append(".TP\n.B ELFZ_JAVA_OPTS\nExtra options for the Java virtual machine, e.g. \\-Xmx8g.\n");
        m.append(".SH SEE ALSO\nThe container format: FORMAT.md in the elfz sources.\n");
        return m.toString();
    }

    private static List<CommandLine> subcommands(CommandLine cli) {
        List<CommandLine> subs = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : cli.getSubcommands().entrySet()) {
            if (!e.getValue().getCommandSpec().usageMessage().hidden()) {
                subs.add(e.getValue());
            }
        }
        return subs;
    }

    /** Help at the man page's width, without ANSI colours. */
    private static Help help(CommandSpec spec) {
        spec.usageMessage().width(MAN_WIDTH);
        return new Help(spec, Help.defaultColorScheme(Help.Ansi.OFF));
    }

    /** Text kept as laid out (no fill, no adjustment), every line escaped. */
    private static void preformatted(StringBuilder m, String text) {
        m.append(".nf\n");
        for (String line : text.stripTrailing().split("\n", -1)) {
            m.append(roff(line)).append('\n');
        }
        m.append(".fi\n");
    }

    /**
     * A line of text as troff reads it literally: backslashes and hyphens escaped, and a leading dot or quote (which
     * would start a request) behind a zero-width space.
     */
    static String roff(String line) {
        String s = line.replace("\\", "\\e").replace("-", "\\-");
        return s.startsWith(".") || s.startsWith("'") ? "\\&" + s : s;
    }
}
