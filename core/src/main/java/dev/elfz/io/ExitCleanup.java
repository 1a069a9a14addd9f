package dev.elfz.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the process must undo if it ends before its work is done: the temporaries it is building and the user files
 * it has renamed aside. A shutdown hook (the JVM runs them on SIGINT, SIGTERM and SIGHUP, then exits 128 + the
 * signal's number) deletes every temporary still registered and runs every undo still registered, newest first.
 *
 * <p>The hook and the work race: a rename that publishes an output, or puts a user's file aside, runs under
 * {@link #atomically}, which the hook waits for (and goes before the next step). So the hook sees each such step wholly done (the published output
 * no longer registered, the file aside registered for its undo) or not begun, and once the hook has started no
 * step runs: it throws instead. Worker threads still writing into a temporary the hook has deleted write into an
 * unlinked file, which disappears when the process exits.
 */
public final class ExitCleanup {

    /** Something to undo at exit. */
    @FunctionalInterface
    public interface Action {
        void run() throws IOException;
    }

    /** A registered undo: {@link #close} drops it (the work is done), {@link #runNow} runs it (the work failed). */
    public static final class Undo implements AutoCloseable {
        private final Action action;

        private Undo(Action action) {
            this.action = action;
        }

        /** Runs the undo unless the hook has already run it: never twice, never both. */
        public void runNow() throws IOException {
            LOCK.lock();
            try {
                if (LIVE.remove(this) != null) {
                    action.run();
                }
            } finally {
                LOCK.unlock();
            }
        }

        @Override
        public void close() {
            LOCK.lock();
            try {
                LIVE.remove(this);
            } finally {
                LOCK.unlock();
            }
        }
    }

    /** Fair: the exit hook, once waiting, goes before the work's next step. */
    private static final ReentrantLock LOCK = new ReentrantLock(true);
    /** Path (a temporary to delete) or Undo, to its action, in registration order. */
    private static final Map<Object, Action> LIVE = new LinkedHashMap<>();

    private static volatile boolean exiting;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExitCleanup::runAll, "elfz-exit-cleanup"));
    }

    private ExitCleanup() {}

    /**
     * Deletes {@code path} (a file or a directory tree) at exit unless {@link #forget forgotten} first. When the
     * process is already exiting it is deleted now, and this throws.
     */
    public static void deleteAtExit(Path path) throws IOException {
        register(path, () -> deleteQuietly(path));
    }

    /** {@code path} is no temporary any more (published, or deleted by its owner). */
    public static void forget(Path path) {
        LOCK.lock();
        try {
            LIVE.remove(path);
        } finally {
            LOCK.unlock();
        }
    }

    /** Runs {@code action} at exit unless the returned undo is closed or run first. */
    public static Undo undoAtExit(Action action) throws IOException {
        Undo undo = new Undo(action);
        register(undo, action);
        return undo;
    }

    /**
     * Runs a step the exit hook must see wholly done or not at all (a rename and its registration). Throws without
     * running it once the process is exiting.
     */
    public static void atomically(Action step) throws IOException {
        LOCK.lock();
        try {
            if (exiting) {
                throw interrupted();
            }
            step.run();
        } finally {
            LOCK.unlock();
        }
    }

    /** True once the exit hook has started: the failures that follow are its doing, not the user's. */
    public static boolean exiting() {
        return exiting;
    }

    private static void register(Object key, Action action) throws IOException {
        LOCK.lock();
        try {
            if (exiting) {
                action.run();
                throw interrupted();
            }
            LIVE.put(key, action);
        } finally {
            LOCK.unlock();
        }
    }

    private static InterruptedIOException interrupted() {
        return new InterruptedIOException("interrupted: elfz is exiting");
    }

    /** The shutdown hook: every registered action once, newest first (files inside a temporary directory first). */
    static void runAll() {
        List<Action> actions;
        LOCK.lock();
        try {
            exiting = true;
            actions = new ArrayList<>(LIVE.values());
            LIVE.clear();
            for (Action a : actions.reversed()) {
                try {
                    a.run();
                } catch (IOException | RuntimeException e) {
                    // best effort at exit: nothing can report it; the next action may still succeed
                }
            }
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * Deletes a file or tree while a worker may still be creating or removing entries in it: files that vanish
     * meanwhile are fine, and a directory that gained an entry is walked again.
     */
    private static void deleteQuietly(Path path) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                AtomicFiles.deleteRecursively(path);
                return;
            } catch (IOException e) { // an entry vanished or appeared during the walk: walk again
                if (attempt == 4) {
                    throw e;
                }
            }
        }
    }
}
