package dev.elfz.cli;

import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Turns any failure into the one line elfz prints: the file, then what is wrong with it. */
final class Errors {

    private Errors() {}

    static String message(Throwable e) {
        if (e instanceof UncheckedIOException u) { // from a stream, such as Files.walk's
            return message(u.getCause());
        }
        String m = switch (e) {
            case FileAlreadyExistsException f ->
                f.getFile() + ": "
                        + (f.getReason() == null || f.getReason().equals(AtomicFiles.EXISTS)
                                ? "already exists (use -f to overwrite)"
                                : f.getReason());
            case NoSuchFileException f -> f.getFile() + ": no such file or directory";
            case AccessDeniedException f -> f.getFile() + ": permission denied";
            case FileSystemLoopException f ->
                f.getFile() + ": a symbolic link loop (the link leads back to a directory" + " that holds it)";
            case FileSystemException f ->
                f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": "
                        + (f.getReason() != null ? f.getReason() : "file system error");
            default -> e.getMessage() != null ? e.getMessage() : e.toString();
        };
        if (m.contains("No space left on device") && !m.contains("disk full")) {
            m += " (disk full)";
        }
        return oneLine(m);
    }

    /** A tensor name or a header may hold a newline; elfz's errors stay one line. */
    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /**
     * Names {@code file} in a bare operating-system error ("No space left on device", "Input/output error"),
     * which the JDK throws without a file; messages that already say where (they hold ": ") pass unchanged.
     */
    static IOException naming(Path file, IOException e) {
        if (e.getClass() == IOException.class
                && e.getMessage() != null
                && !e.getMessage().contains(": ")) {
            return new IOException(file + ": " + e.getMessage(), e);
        }
        return e;
    }
}
