package dev.elfz.spark;

import dev.elfz.analyze.Analysis;
import dev.elfz.analyze.FileScan;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A hub on any Hadoop FileSystem: its model files, and each one as a local path for the library, which maps its
 * inputs. A {@code file:} file is mapped where it is; a file elsewhere (HDFS, S3A ...) is copied first to the
 * executor's local disk ({@code spark.local.dir}, else {@code java.io.tmpdir}), whole, and deleted after the task:
 * that disk needs room for the largest model file (the largest model for compress) times the tasks an executor runs
 * at once.
 */
final class Hub {

    private Hub() {}

    /** A file's address as the job passes it around: its URI string. */
    static boolean isLocal(String uri) {
        String scheme = URI.create(uri).getScheme();
        return scheme == null || "file".equals(scheme);
    }

    static Path localPath(String uri) {
        URI u = URI.create(uri);
        return u.getScheme() == null ? Path.of(uri) : Path.of(u);
    }

    /** The file system of {@code uri}; the local one without Hadoop's .crc files beside each file written. */
    static FileSystem fs(String uri, Configuration conf) throws IOException {
        FileSystem fs = FileSystem.get(URI.create(uri), conf);
        return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    }

    /**
     * The files {@code elfz analyze} reads under {@code root} (.elfz files aside), in its order: for {@code file:}
     * the very same walk ({@link Analysis#files}); elsewhere every file with such a name, sorted by path (a .bin that
     * is no checkpoint is dropped when its header is read).
     */
    static List<String> files(String root, Configuration conf) throws IOException {
        List<String> out = new ArrayList<>();
        if (isLocal(root)) {
            for (Path p : Analysis.files(List.of(localPath(root)))) {
                if (FileScan.kind(p.toString()) != null) {
                    out.add(p.toString());
                }
            }
            return out;
        }
        FileSystem fs = fs(root, conf);
        var r = HadoopPaths.of(root);
        if (!fs.exists(r)) {
            throw new IOException(root + ": no such file or directory");
        }
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(r, true);
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            if (s.isFile() && FileScan.kind(s.getPath().getName()) != null) {
                out.add(s.getPath().toString());
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** The models of a hub: each entry right under {@code root} (a directory, or a model file), in name order. */
    static List<String> models(String root, Configuration conf) throws IOException {
        FileSystem fs = fs(root, conf);
        var r = HadoopPaths.of(root);
        if (!fs.getFileStatus(r).isDirectory()) {
            throw new IOException(root + ": not a directory (a hub is a directory of models)");
        }
        List<String> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(r)) {
            String name = s.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_")) {
                continue;
            }
            if (s.isDirectory() || FileScan.kind(name) != null) {
                out.add(s.getPath().toString());
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** A local copy of a file or directory for one task, deleted on close; the file itself when it is local. */
    static final class Local implements AutoCloseable, Serializable {
        final Path path;
        private final Path copy;

        private Local(Path path, Path copy) {
            this.path = path;
            this.copy = copy;
        }

        static Local of(String uri, Configuration conf) throws IOException {
            if (isLocal(uri)) {
                return new Local(localPath(uri), null);
            }
            Path dir = Files.createDirectories(scratch().resolve("elfz-" + UUID.randomUUID()));
            var src = HadoopPaths.of(uri);
            Path target = dir.resolve(src.getName());
            fs(uri, conf)
                    .copyToLocalFile(false, src, HadoopPaths.of(target.toUri().toString()), true);
            return new Local(target, dir);
        }

        @Override
        public void close() throws IOException {
            if (copy != null) {
                delete(copy);
            }
        }
    }

    /** The executor's scratch directory: the first of spark.local.dir (SPARK_LOCAL_DIRS), else java.io.tmpdir. */
    static Path scratch() {
        String dirs = System.getenv("SPARK_LOCAL_DIRS");
        if (dirs == null || dirs.isBlank()) {
            dirs = System.getProperty("spark.local.dir", System.getProperty("java.io.tmpdir"));
        }
        return Path.of(dirs.split(",")[0]);
    }

    /** Deletes a directory tree made by this job. */
    static void delete(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
