package dev.elfz.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs jobs {@code 0..n-1} on a number of threads, the caller one of them, each thread claiming the next job from a
 * shared counter: no order, no queue, no hand-off, nothing a thread waits for but the end. Each thread makes its own
 * state once (a buffer). Jobs are claimed in order, so the ones in flight are neighbours. For work whose results need
 * no ordering (decompression writes each chunk at its own offset); {@link Workers#ordered} is the ordered loop. The
 * first failure stops further claims and is rethrown once every thread has stopped, so the caller may free what the
 * jobs used.
 */
final class Claimed {

    private Claimed() {}

    interface Work<S> {
        void run(S state, int job) throws IOException;
    }

    static <S> void run(int threads, int jobs, Supplier<S> state, Work<S> work) throws IOException {
        AtomicInteger next = new AtomicInteger();
        Throwable[] failure = new Throwable[1];
        Runnable loop = () -> {
            try {
                S s = state.get();
                for (int j; (j = next.getAndIncrement()) < jobs; ) {
                    work.run(s, j);
                }
            } catch (IOException | RuntimeException | Error e) {
                synchronized (failure) {
                    if (failure[0] == null) {
                        failure[0] = e;
                    }
                }
                next.set(jobs); // the others stop at their next claim
            }
        };
        List<Thread> others = new ArrayList<>();
        try {
            for (int t = 1; t < Math.min(threads, jobs); t++) {
                others.add(Thread.ofPlatform().daemon().name("elfz-worker").start(loop));
            }
        } finally {
            loop.run();
            joinAll(others);
        }
        Throwable f;
        synchronized (failure) {
            f = failure[0];
        }
        switch (f) {
            case null -> {}
            case UncheckedIOException u -> throw u.getCause();
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IOException(f);
        }
    }

    /** Waits for every thread; an interrupt is kept for the caller, as the threads finish their jobs anyway. */
    private static void joinAll(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
