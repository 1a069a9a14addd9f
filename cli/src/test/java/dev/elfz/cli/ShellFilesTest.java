package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completion scripts and the man page a distribution installs, made from the command definitions. */
class ShellFilesTest {

    private static final List<String> COMMANDS =
            List.of("compress", "decompress", "info", "verify", "demo", "analyze", "eval", "sweep");

    @TempDir
    Path dir;

    @Test
    void bashCompletesEveryCommandAndTheirOptions() throws Exception {
        Path script = dir.resolve("elfz");
        Files.writeString(script, ShellFiles.bashCompletion());
        assertEquals(Set.copyOf(COMMANDS), Set.copyOf(complete(script, "")), "commands");
        assertEquals(List.of("decompress"), complete(script, "dec"));
        assertTrue(complete(script, "compress", "--co").contains("--codec"), "compress's options");
        assertEquals(List.of("lossless"), complete(script, "compress", "--codec", "lossl"), "an option's values");
    }

    /** What bash offers for the last word, through the script's completion function as the shell calls it. */
    private List<String> complete(Path script, String... words) throws IOException, InterruptedException {
        StringBuilder line = new StringBuilder("elfz");
        for (String w : words) {
            line.append(' ').append(w);
        }
        String shell = "source '" + script + "'; COMP_WORDS=(" + line + (words[words.length - 1].isEmpty() ? " ''" : "")
                + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE};"
                + " _complete_elfz elfz; printf '%s\\n' \"${COMPREPLY[@]}\"";
        // stderr left out: outside a real completion, compopt says that none is under way
        Process p = new ProcessBuilder("bash", "-c", shell)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void zshLoadsTheBashScriptThroughBashcompinit() {
        String zsh = ShellFiles.zshCompletion();
        assertTrue(zsh.startsWith("#compdef elfz\n"), zsh.lines().findFirst().orElse(""));
        assertTrue(zsh.contains(ShellFiles.bashCompletion()));
        assertTrue(zsh.indexOf("compopt() {") < zsh.indexOf(ShellFiles.bashCompletion()), "compopt defined first");
        assertTrue(zsh.strip().endsWith("_bash_complete -F _complete_elfz \"$@\""));
    }

    @Test
    void theManPageHasEveryCommandAndIsValidTroff() throws Exception {
        String man = ShellFiles.manPage();
        assertTrue(man.startsWith(".TH ELFZ 1 "), man.lines().findFirst().orElse(""));
        for (String c : COMMANDS) {
            assertTrue(man.contains("\n.SS " + c + "\n"), c);
        }
        assertTrue(man.contains("\\-\\-codec=auto|elf|lossless|raw|uniform|kmeans"), "options, hyphens escaped");
        for (String line : man.lines().toList()) {
            assertTrue(
                    !line.startsWith(".") || line.matches("\\.(TH|SH|SS|TP|B|nf|fi)( .*)?"),
                    "only the page's own requests start a line: " + line);
        }
        Path file = dir.resolve("elfz.1");
        Files.writeString(file, man);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "no groff here to check the page");
        Process p = new ProcessBuilder("/usr/bin/groff", "-man", "-ww", "-z", file.toString())
                .redirectErrorStream(true)
                .start();
        String warnings = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), warnings);
        assertEquals("", warnings, "groff's warnings");
    }

    @Test
    void roffEscapesWhatTroffWouldRead() {
        assertEquals("a\\-b \\e", ShellFiles.roff("a-b \\"));
        assertEquals("\\&.x", ShellFiles.roff(".x"));
        assertEquals("\\&'x", ShellFiles.roff("'x"));
    }
}
