package dev.elfz.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs jobs on worker threads and hands their results to the calling thread in job order, with a bounded
 * number in flight (so memory stays flat however many jobs there are). With one thread, everything runs on the
 * caller. The first failure stops the rest and is rethrown once no worker is running any more, so the caller
 * may free what the jobs used.
 */
public final class Workers {

    private Workers() {}

    public interface Sink<R> {
        void accept(R result) throws IOException;
    }

    public static <J, R> void ordered(int threads, List<J> jobs, Function<J, R> work, Sink<R> sink) throws IOException {
        if (threads == 1 || jobs.size() <= 1) {
            try {
                for (J j : jobs) {
                    sink.accept(work.apply(j));
                }
            } catch (UncheckedIOException e) { // as await() does for the workers' failures
                throw e.getCause();
            }
            return;
        }
        int window = 2 * threads + 2;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elfz-worker");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<R>> inFlight = new ArrayDeque<>();
        int next = 0;
        try {
            while (next < jobs.size() || !inFlight.isEmpty()) {
                while (next < jobs.size() && inFlight.size() < window) {
                    J j = jobs.get(next++);
                    inFlight.add(pool.submit(() -> work.apply(j)));
                }
                sink.accept(await(inFlight.poll()));
            }
        } finally {
            for (Future<R> f : inFlight) {
                f.cancel(false);
            }
            pool.shutdownNow();
            boolean interrupted = false;
            while (true) {
                try {
                    if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static <R> R await(Future<R> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }
}
