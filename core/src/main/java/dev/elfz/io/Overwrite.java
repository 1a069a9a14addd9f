package dev.elfz.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an output may replace (-f): the files it names and nothing else. The input is never one of them, and writing
 * into an existing directory follows no symbolic link and empties no directory.
 */
public final class Overwrite {

    private Overwrite() {}

    /** Refuses a target that is the input, or a link to it: replacing it would delete what is being read. */
    public static void checkNotInput(Path input, Path target) throws IOException {
        if (Files.exists(target) && Files.isSameFile(input, target)) {
            throw new IOException(
                    target + ": is the input " + input + ", which is never replaced; give another output");
        }
    }

    /**
     * The path of each '/'-separated name ({@link FileNames}) below the existing directory {@code root}, checked before
     * anything is written: each directory on the way that exists is a directory, not a symbolic link (which could lead
     * out of root) and not a file (which the archive does not name); the target is no directory (whose files it does
     * not name either) and not the input.
     */
    public static List<Path> inside(Path root, List<String> names, Path input) throws IOException {
        Path top = root.toAbsolutePath();
        List<Path> targets = new ArrayList<>();
        for (String name : names) {
            Path target = FileNames.resolve(top, name);
            Path rel = top.relativize(target);
            Path dir = top;
            for (int i = 0; i < rel.getNameCount() - 1 && Files.exists(dir, LinkOption.NOFOLLOW_LINKS); i++) {
                dir = dir.resolve(rel.getName(i));
                if (Files.isSymbolicLink(dir)) {
                    throw new IOException(dir + ": is a symbolic link where the archive has a directory; elfz does "
                            + "not write through it");
                }
                if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)
                        && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(dir + ": is a file where the archive has a directory");
                }
            }
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(target + ": is a directory where the archive has a file");
            }
            checkNotInput(input, target);
            targets.add(target);
        }
        return targets;
    }
}
