package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.elfz.ElfzException;
import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Failures the tests cannot provoke for real (a full disk, a denied read as root) still read as one line. */
class ErrorsTest {

    @Test
    void fileSystemErrorsNameTheFile() {
        assertEquals("a.elfz: no such file or directory", Errors.message(new NoSuchFileException("a.elfz")));
        assertEquals("a.elfz: permission denied", Errors.message(new AccessDeniedException("a.elfz")));
        assertEquals(
                "a.elfz: already exists (use -f to overwrite)",
                Errors.message(new FileAlreadyExistsException("a.elfz")));
        assertEquals(
                "a.elfz: already exists (use -f to overwrite)", Errors.message(AtomicFiles.exists(Path.of("a.elfz"))));
        assertEquals(
                "a.elfz: No space left on device (disk full)",
                Errors.message(new FileSystemException("a.elfz", null, "No space left on device")));
        assertEquals(
                "a -> b: Read-only file system",
                Errors.message(new FileSystemException("a", "b", "Read-only file system")));
    }

    @Test
    void bareOperatingSystemErrorsGetTheOutputsName() {
        IOException full = Errors.naming(Path.of("out.elfz"), new IOException("No space left on device"));
        assertEquals("out.elfz: No space left on device (disk full)", Errors.message(full));
        ElfzException named = new ElfzException(Path.of("x.elfz"), "cut short");
        assertSame(named, Errors.naming(Path.of("out"), named));
    }

    @Test
    void messagesStayOnOneLine() {
        assertEquals("x.elfz: tensor a b: damaged", Errors.message(new IOException("x.elfz: tensor a\nb: damaged")));
        assertEquals("java.lang.NullPointerException", Errors.message(new NullPointerException()));
    }
}
