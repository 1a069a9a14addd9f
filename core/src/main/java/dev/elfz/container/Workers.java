package dev.elfz.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
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
        ExecutorService pool = daemonPool(threads);
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
            awaitTermination(pool, e -> {});
        }
    }

    /** The short step that runs in job order, one result at a time (under a lock: no per-byte work here). */
    public interface InTurn<R> {
        void accept(R result);
    }

    /**
     * Runs jobs on {@code threads} threads (the caller is one of them) with no thread working for the others: each
     * claims the next job and {@code work}s it; the results then pass {@code inTurn} in job order, one at a time
     * (whichever thread completes the turn runs it for the results that were waiting on it), and {@code after} runs
     * outside the lock on the thread that worked the result (a write at an offset {@code inTurn} handed out), as soon
     * as that thread is between jobs: no thread writes for the others. A thread claims no job while
     * {@code 2 * threads} results are unfinished, so memory stays flat however many jobs there are. The first
     * failure stops the claiming and is rethrown once no thread runs any more.
     */
    public static <J, R> void inTurn(int threads, List<J> jobs, Function<J, R> work, InTurn<R> inTurn, Sink<R> after)
            throws IOException {
        int helpers = Math.min(threads, jobs.size()) - 1;
        Turns<J, R> t = new Turns<>(jobs, work, inTurn, after, 2 * threads, Math.max(1, helpers + 1));
        if (helpers <= 0) {
            t.run();
        } else {
            ExecutorService pool = daemonPool(helpers);
            try {
                for (int i = 0; i < helpers; i++) {
                    pool.execute(t::run);
                }
                t.run();
            } finally {
                pool.shutdown();
                awaitTermination(pool, t::fail);
            }
        }
        t.rethrow();
    }

    /**
     * The shared state of {@link #inTurn}: the next job to claim, the next turn, the results waiting for theirs, and
     * each thread's results past their turn, waiting for its {@code after} step.
     */
    private static final class Turns<J, R> {
        private final List<J> jobs;
        private final Function<J, R> work;
        private final InTurn<R> inTurn;
        private final Sink<R> after;
        private final Object[] waiting; // results done before their turn, by job index modulo the window
        private final int[] owners; // the thread that worked each of them
        private final List<ArrayDeque<R>> turned = new ArrayList<>(); // by thread: results to finish
        private final int[] pending; // by thread: results worked and not yet finished
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition moved = lock.newCondition();
        private int joined; // threads that have started
        private int claimed;
        private int turn;
        private int finished; // results past their after step
        private Throwable failure;

        Turns(List<J> jobs, Function<J, R> work, InTurn<R> inTurn, Sink<R> after, int window, int threads) {
            this.jobs = jobs;
            this.work = work;
            this.inTurn = inTurn;
            this.after = after;
            this.waiting = new Object[window];
            this.owners = new int[window];
            this.pending = new int[threads];
            for (int t = 0; t < threads; t++) {
                turned.add(new ArrayDeque<>());
            }
        }

        void run() {
            int me = join();
            List<R> mine = new ArrayList<>();
            try {
                while (true) {
                    int i = claim(me, mine.size(), mine);
                    for (R m : mine) {
                        after.accept(m);
                    }
                    if (i == FINISH_FIRST) {
                        continue;
                    }
                    if (i < 0) {
                        return;
                    }
                    done(me, i, work.apply(jobs.get(i)));
                }
            } catch (IOException | RuntimeException | Error e) {
                fail(e);
            }
        }

        /** This thread's number. */
        private int join() {
            lock.lock();
            try {
                return joined++;
            } finally {
                lock.unlock();
            }
        }

        /** {@link #claim}'s answer when the thread has results of its own to finish first. */
        private static final int FINISH_FIRST = -2;

        /**
         * Counts the {@code finishing} results this thread has just finished, then moves the thread's results past
         * their turn into {@code mine} (cleared first) and returns {@link #FINISH_FIRST} if there are any; else the
         * next job's index, or -1 when none is left (or a thread failed) and the thread's own results are all
         * finished. Waits while a window of results is unfinished, or while the thread's results wait for their turn
         * with no job left to claim.
         */
        private int claim(int me, int finishing, List<R> mine) {
            lock.lock();
            try {
                finished += finishing;
                pending[me] -= finishing;
                mine.clear();
                if (finishing > 0) {
                    moved.signalAll();
                }
                while (true) {
                    ArrayDeque<R> own = turned.get(me);
                    if (failure == null && !own.isEmpty()) {
                        mine.addAll(own);
                        own.clear();
                        return FINISH_FIRST;
                    }
                    boolean left = failure == null && claimed < jobs.size();
                    if (left && claimed - finished < waiting.length) {
                        pending[me]++;
                        return claimed++;
                    }
                    if (!left && (failure != null || pending[me] == 0)) {
                        return -1;
                    }
                    moved.awaitUninterruptibly();
                }
            } finally {
                lock.unlock();
            }
        }

        /** Files result {@code i} of thread {@code me} and runs the turns now possible, each result for its thread. */
        @SuppressWarnings("unchecked")
        private void done(int me, int i, R r) {
            lock.lock();
            try {
                waiting[i % waiting.length] = r;
                owners[i % waiting.length] = me;
                boolean others = false;
                while (failure == null && turn < claimed && waiting[turn % waiting.length] != null) {
                    R next = (R) waiting[turn % waiting.length];
                    int owner = owners[turn % waiting.length];
                    waiting[turn % waiting.length] = null;
                    inTurn.accept(next);
                    turned.get(owner).add(next);
                    others |= owner != me;
                    turn++;
                }
                if (others) {
                    moved.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        void fail(Throwable e) {
            lock.lock();
            try {
                if (failure == null) {
                    failure = e;
                } else if (failure != e) {
                    failure.addSuppressed(e);
                }
                moved.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void rethrow() throws IOException {
            Throwable e = failure;
            if (e instanceof InterruptedException) {
                throw new IOException("interrupted", e);
            }
            if (e instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error err) {
                throw err;
            }
        }
    }

    private static ExecutorService daemonPool(int threads) {
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elfz-worker");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Waits until no thread of the (shut down) pool runs any more, so that the caller may free what the jobs used;
     * an interrupt meanwhile goes to {@code onInterrupt} and is kept for the caller.
     */
    private static void awaitTermination(ExecutorService pool, Consumer<InterruptedException> onInterrupt) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                onInterrupt.accept(e);
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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
