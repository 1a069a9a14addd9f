package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/cli.md and the commands cannot drift apart: its synopsis names exactly the registered commands, each with
 * exactly the options picocli has for it, and every name of every option appears in the page.
 */
class CliDocsTest {

    /** An option in a synopsis: {@code -o}, {@code --error-bound}. */
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])--?[A-Za-z][\\w-]*");
    /** Shown once for all commands, not in each synopsis line. */
    private static final Set<String> ON_EVERY_COMMAND = Set.of("-h", "--help", "-V", "--version");

    private static final CommandSpec ELFZ = Main.commandLine().getCommandSpec();

    /** docs/cli.md of this checkout: the tests run in cli/ (Maven) or at the root. */
    private static String page() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("docs/cli.md");
            if (Files.isRegularFile(p)) {
                return Files.readString(p);
            }
        }
        throw new IOException("docs/cli.md not found above " + Path.of("").toAbsolutePath());
    }

    /** The page's synopsis: per command, its lines ("elfz NAME ..." and the indented ones after it). */
    private static Map<String, String> synopsis(String page) {
        int start = page.indexOf("```\nelfz ");
        assertTrue(start >= 0, "docs/cli.md has a synopsis block starting with an elfz line");
        String block = page.substring(start + 4, page.indexOf("```", start + 4));
        Map<String, String> byCommand = new LinkedHashMap<>();
        String current = null;
        for (String line : block.lines().toList()) {
            if (line.startsWith("elfz ")) {
                current = line.split("\\s+")[1];
                assertEquals(null, byCommand.put(current, line), "one synopsis per command: " + current);
            } else if (current != null && !line.isBlank()) {
                byCommand.merge(current, "\n" + line, String::concat);
            }
        }
        return byCommand;
    }

    private static Set<String> optionsIn(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = OPTION.matcher(text);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    /** The options of a command as the synopsis shows them: one name each, the short one when it has one. */
    private static Set<String> shownOptions(CommandSpec c) {
        Set<String> shown = new TreeSet<>();
        for (OptionSpec o : c.options()) {
            if (!ON_EVERY_COMMAND.contains(o.longestName())) {
                shown.add(o.shortestName());
            }
        }
        return shown;
    }

    @Test
    void theSynopsisNamesExactlyTheCommands() throws IOException {
        assertEquals(
                new TreeSet<>(ELFZ.subcommands().keySet()),
                new TreeSet<>(synopsis(page()).keySet()));
    }

    @Test
    void eachCommandsSynopsisShowsExactlyItsOptions() throws IOException {
        Map<String, String> synopsis = synopsis(page());
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : ELFZ.subcommands().entrySet()) {
            String text = synopsis.getOrDefault(e.getKey(), "");
            Set<String> documented = optionsIn(text.substring(text.indexOf(' ', 5)));
            Set<String> actual = shownOptions(e.getValue().getCommandSpec());
            if (!documented.equals(actual)) {
                wrong.add(e.getKey() + ": docs/cli.md shows " + documented + ", the command has " + actual);
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyNameOfEveryOptionIsInThePage() throws IOException {
        Set<String> inPage = optionsIn(page());
        Set<String> missing = new TreeSet<>();
        List<CommandSpec> all = new ArrayList<>(List.of(ELFZ));
        ELFZ.subcommands().values().forEach(c -> all.add(c.getCommandSpec()));
        for (CommandSpec c : all) {
            for (OptionSpec o : c.options()) {
                for (String name : o.names()) {
                    if (!inPage.contains(name)) {
                        missing.add(c.qualifiedName() + " " + name);
                    }
                }
            }
        }
        assertEquals(Set.of(), missing);
    }

    @Test
    void eachCommandsHelpSummaryIsInThePage() throws IOException {
        String page = page().replaceAll("\\s+", " ");
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : ELFZ.subcommands().entrySet()) {
            // picocli formats descriptions (%% is a percent sign), as its help shows them
            String summary = String.format(
                    Locale.ROOT, e.getValue().getCommandSpec().usageMessage().description()[0]);
            if (!page.contains(summary.replaceAll("\\s+", " "))) {
                missing.add(e.getKey() + ": " + summary);
            }
        }
        assertEquals(List.of(), missing);
    }
}
