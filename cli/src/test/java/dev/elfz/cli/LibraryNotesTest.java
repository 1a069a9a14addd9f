package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The library's System.Logger notes reach the command's user as "elfz: " lines on stderr, and only those. */
class LibraryNotesTest {

    private static String stderrOf(Runnable r) {
        PrintStream err = System.err;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            r.run();
        } finally {
            System.setErr(err);
        }
        return e.toString(StandardCharsets.UTF_8);
    }

    @Test
    void notesOfTheLibraryAreOneLineEachOnStderr() {
        LibraryNotes.install();
        LibraryNotes.install(); // twice: still one line per note
        System.Logger log = System.getLogger("dev.elfz.kernel.Kernels");
        String err = stderrOf(() -> {
            log.log(Level.INFO, "native kernel unavailable (a test); using java-vector");
            log.log(Level.WARNING, "ELFZ_MAX_ISA=avx3 is not scalar, avx2 or avx512; ignored");
            log.log(Level.DEBUG, "a detail the user does not need");
            log.log(Level.INFO, "{0} values at {1} bits", 10, 2);
        });
        assertEquals("""
                elfz: native kernel unavailable (a test); using java-vector
                elfz: ELFZ_MAX_ISA=avx3 is not scalar, avx2 or avx512; ignored
                elfz: 10 values at 2 bits
                """, err.replace(System.lineSeparator(), "\n"));
    }
}
