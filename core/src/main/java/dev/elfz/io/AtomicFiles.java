package dev.elfz.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Outputs that appear whole or not at all: each is built under a hidden temporary name beside its target
 * ({@code .NAME.elfz-RANDOM.tmp}, same directory so the rename is atomic), forced to disk, then renamed. A failure
 * deletes the temporary, and so does a SIGINT, SIGTERM or SIGHUP ({@link ExitCleanup}); a SIGKILL may leave it
 * behind, never a truncated file under the target's name.
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    /** A new, empty temporary file beside {@code target}, open for reading and writing. */
    public record Temp(Path path, FileChannel channel) {}

    /**
     * @throws FileAlreadyExistsException when the target exists and {@code overwrite} is false
     * @throws IOException when it exists and is not something a file may replace: only regular files and symbolic
     *     links are (and directories when {@code directory}); a rename over /dev/null would replace the device
     */
    public static void checkTarget(Path target, boolean overwrite, boolean directory) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!overwrite) {
            throw exists(target);
        }
        boolean replaceable = Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                || Files.isSymbolicLink(target)
                || (directory && Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS));
        if (!replaceable) {
            throw new IOException(target + ": cannot write: "
                    + (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)
                            ? "it is a directory"
                            : "not a regular file"));
        }
    }

    /** {@link #checkTarget(Path, boolean, boolean)} for a file. */
    public static void checkTarget(Path target, boolean overwrite) throws IOException {
        checkTarget(target, overwrite, false);
    }

    public static Temp createTempFile(Path target) throws IOException {
        Path dir = directoryOf(target);
        for (int attempt = 0; ; attempt++) {
            Path temp = tempName(dir, target);
            try {
                // CREATE_NEW gives the usual 0666 & ~umask permissions, unlike createTempFile's 0600.
                FileChannel channel = FileChannel.open(
                        temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
                try {
                    ExitCleanup.deleteAtExit(temp);
                } catch (IOException e) { // exiting: already deleted
                    channel.close();
                    throw e;
                }
                return new Temp(temp, channel);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /** The whole content of a file that {@link #writeFile} writes; it must not close {@code out}. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes a small file whole or not at all: into a temporary beside {@code target}, forced, then renamed over it.
     * On any failure the temporary is deleted and the target is as it was.
     */
    public static void writeFile(Path target, boolean overwrite, Content content) throws IOException {
        checkTarget(target, overwrite);
        Temp temp = createTempFile(target);
        try {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(temp.channel()));
            content.writeTo(out);
            out.flush();
            temp.channel().force(true);
            temp.channel().close();
            publishFile(temp.path(), target, overwrite);
        } catch (IOException | RuntimeException | Error e) {
            discard(temp, e);
            throw e;
        }
    }

    /** After a failure: closes and deletes the temporary; an error doing so is added to {@code failure}. */
    public static void discard(Temp temp, Throwable failure) {
        try {
            temp.channel().close();
            Files.deleteIfExists(temp.path());
            ExitCleanup.forget(temp.path());
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * A new, empty temporary directory beside {@code target}, deleted at exit unless published; its owner deletes it
     * after a failure with {@link #deleteTemporary}.
     */
    public static Path createTempDirectory(Path target) throws IOException {
        Path dir = directoryOf(target);
        for (int attempt = 0; ; attempt++) {
            try {
                Path temp = Files.createDirectory(tempName(dir, target));
                ExitCleanup.deleteAtExit(temp);
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /**
     * Renames a finished temporary file (already forced) to the target. Without {@code overwrite}, an existing
     * target is an error even when it appeared meanwhile: link(2) refuses it atomically.
     */
    public static void publishFile(Path temp, Path target, boolean overwrite) throws IOException {
        publishFile(temp, target, overwrite, true);
    }

    /** {@link #publishFile(Path, Path, boolean)}; the directory forced to disk after the rename only with {@code sync}. */
    public static void publishFile(Path temp, Path target, boolean overwrite, boolean sync) throws IOException {
        ExitCleanup.atomically(() -> {
            rename(temp, target, overwrite, sync);
            ExitCleanup.forget(temp);
        });
    }

    private static void rename(Path temp, Path target, boolean overwrite, boolean sync) throws IOException {
        if (!overwrite) {
            boolean linked;
            try {
                Files.createLink(target, temp);
                linked = true;
            } catch (FileAlreadyExistsException e) {
                throw exists(target);
            } catch (UnsupportedOperationException | FileSystemException e) {
                linked = false; // no hard links here (FAT, some network file systems): check, then rename
            }
            if (linked) {
                Files.delete(temp);
                if (sync) {
                    syncDirectory(directoryOf(target));
                }
                return;
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw exists(target);
            }
        }
        move(temp, target);
        if (sync) {
            syncDirectory(directoryOf(target));
        }
    }

    /**
     * Renames a finished temporary directory to the target. With {@code overwrite}, an existing target (file or
     * directory) is first renamed aside, then deleted once the new one is in place. With {@code sync} the parent
     * directory is forced to disk after the rename.
     */
    public static void publishDirectory(Path tempDir, Path target, boolean overwrite, boolean sync) throws IOException {
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw exists(target);
        }
        Path[] aside = new Path[1];
        ExitCleanup.atomically(
                () -> { // a signal finds the user's data in place, old or new, never aside
                    Path old = moveAside(target);
                    try {
                        Files.move(tempDir, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                        throw exists(target); // appeared meanwhile
                    } catch (IOException | RuntimeException e) {
                        if (old != null) {
                            Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the user's data back
                        }
                        throw e;
                    }
                    ExitCleanup.forget(tempDir);
                    if (old != null) {
                        ExitCleanup.deleteAtExit(old);
                    }
                    aside[0] = old;
                });
        if (sync) {
            syncDirectory(directoryOf(target));
        }
        if (aside[0] != null) {
            deleteTemporary(aside[0]);
        }
    }

    /**
     * A new directory for scratch files in the system's temporary directory (named {@code PREFIX...}), deleted at exit
     * unless its owner deletes it first with {@link #deleteTemporary}.
     */
    public static Path createScratchDirectory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        ExitCleanup.deleteAtExit(dir);
        return dir;
    }

    /** Deletes a temporary file or directory tree that is not needed any more, and forgets it. */
    public static void deleteTemporary(Path temp) throws IOException {
        deleteRecursively(temp);
        ExitCleanup.forget(temp);
    }

    /**
     * Renames an existing target (file, directory or link) to a hidden temporary name beside it, so that it can be put
     * back ({@link #moveBack}) if what replaces it fails; returns that name, or null when there is no target.
     */
    public static Path moveAside(Path target) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Path old = tempName(directoryOf(target), target);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        return old;
    }

    /** Puts a target renamed by {@link #moveAside} back under its name, over whatever is there now. */
    public static void moveBack(Path old, Path target) throws IOException {
        move(old, target);
        syncDirectory(directoryOf(target));
    }

    /** Deletes a file or a directory tree if it exists; symbolic links are removed, never followed. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * The bytes free for this user in {@code dir}'s file system: statvfs, not {@link Files#getFileStore}, which reads
     * the whole mount table (slow for each of thousands of outputs, and with no descriptor left it says "Mount point
     * not found" rather than what is wrong).
     */
    public static long usableSpace(Path dir) throws IOException {
        long free = dir.toFile().getUsableSpace();
        return free != 0 ? free : Files.getFileStore(dir).getUsableSpace(); // a real 0, or the error it hid
    }

    /** Makes a rename durable; not every platform can open a directory, and then it is skipped. */
    public static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }

    /** Why an output is refused when overwriting is not asked for ({@link FileAlreadyExistsException#getReason}). */
    public static final String EXISTS = "already exists (overwrite is off)";

    public static FileAlreadyExistsException exists(Path target) {
        return new FileAlreadyExistsException(target.toString(), null, EXISTS);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path directoryOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        return parent == null ? target.toAbsolutePath().getRoot() : parent;
    }

    private static Path tempName(Path dir, Path target) {
        return FileNames.resolve(
                dir,
                "." + FileNames.name(target.getFileName()) + ".elfz-" // the target's name exactly
                        + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
    }
}
