package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.ElfzOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The bar: redrawn in place at most every 0.1 s, erased at the end. */
class ProgressBarTest {

    @Test
    void redrawsAtMostTenTimesASecondAndErasesItself() {
        StringWriter s = new StringWriter();
        long[] now = {0};
        ProgressBar bar = new ProgressBar(new PrintWriter(s), "m.safetensors", () -> now[0]);
        bar.start(400_000_000L);
        for (int i = 0; i < 1000; i++) { // 1000 steps over 0.5 s: five redraws
            now[0] += 500_000;
            bar.advance(400_000);
        }
        String drawn = s.toString();
        assertEquals(5, drawn.chars().filter(c -> c == '\r').count(), drawn);
        assertTrue(drawn.contains("\rm.safetensors  20%  80.00 MB / 400.00 MB  800 MB/s"), drawn);
        assertTrue(drawn.endsWith("m.safetensors 100%  400.00 MB / 400.00 MB  800 MB/s"), drawn);
        int width = drawn.length() - drawn.lastIndexOf('\r') - 1;
        bar.end();
        assertTrue(s.toString().endsWith("\r" + " ".repeat(width) + "\r"), "the line is blanked out");
    }

    @Test
    void aQuickJobDrawsNothing() {
        StringWriter s = new StringWriter();
        long[] now = {0};
        ProgressBar bar = new ProgressBar(new PrintWriter(s), "x", () -> now[0]);
        bar.start(100);
        now[0] += 50_000_000;
        bar.advance(100);
        bar.end();
        assertEquals("", s.toString());
    }

    @Test
    void onlyOnATerminalWithoutQuietAndWithoutNoColor() {
        assertTrue(ProgressBar.wanted(false, true, null));
        assertTrue(ProgressBar.wanted(false, true, "")); // no-color.org: an empty NO_COLOR is as if unset
        assertFalse(ProgressBar.wanted(false, true, "1"));
        assertFalse(ProgressBar.wanted(false, true, "0")); // any value at all
        assertFalse(ProgressBar.wanted(true, true, null));
        assertFalse(ProgressBar.wanted(false, false, null));
        assertFalse(ProgressBar.stderrIsTerminal(), "the tests' stderr is a pipe or a file");
    }

    @Test
    void noBarWhenQuietOrNotATerminal() {
        // Tests run with stderr redirected: never a terminal here.
        assertEquals(
                ElfzOptions.Progress.NONE, ProgressBar.forTerminal(false, new PrintWriter(new StringWriter()), "x"));
        assertEquals(
                ElfzOptions.Progress.NONE, ProgressBar.forTerminal(true, new PrintWriter(new StringWriter()), "x"));
    }
}
