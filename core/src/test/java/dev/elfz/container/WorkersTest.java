package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Workers.inTurn: every job once, the turns in job order, bounded memory, the first failure rethrown. */
class WorkersTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void turnsComeInJobOrderAndEveryResultIsFinished(int threads) throws IOException {
        List<Integer> jobs = IntStream.range(0, 2000).boxed().toList();
        List<Integer> turns = new ArrayList<>(); // written by the in-turn step only: under the lock
        Set<Integer> after = ConcurrentHashMap.newKeySet();
        Set<String> names = ConcurrentHashMap.newKeySet();
        AtomicInteger alive = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Workers.inTurn(
                threads,
                jobs,
                j -> {
                    most.accumulateAndGet(alive.incrementAndGet(), Math::max);
                    names.add(Thread.currentThread().getName());
                    if (j % 7 == 0) {
                        Thread.yield(); // let later jobs overtake this one
                    }
                    return j;
                },
                turns::add,
                r -> {
                    assertTrue(after.add(r), "finished once");
                    alive.decrementAndGet();
                });
        assertEquals(jobs, turns);
        assertEquals(jobs.size(), after.size());
        assertTrue(most.get() <= 2 * threads, "at most a window of results unfinished: " + most.get());
        if (threads == 1) {
            assertEquals(Set.of(Thread.currentThread().getName()), names, "one thread: the caller alone");
        }
    }

    /**
     * No thread finishes the results of another (the after step is a write of the result's bytes): each result's
     * after step runs on the thread that worked it, though another thread completed its turn.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void eachResultIsFinishedByTheThreadThatWorkedIt(int threads) throws IOException {
        List<Integer> jobs = IntStream.range(0, 3000).boxed().toList();
        Map<Integer, Thread> workedBy = new ConcurrentHashMap<>();
        Map<Integer, Thread> finishedBy = new ConcurrentHashMap<>();
        Workers.inTurn(
                threads,
                jobs,
                j -> {
                    workedBy.put(j, Thread.currentThread());
                    if (j % 5 == 0) {
                        LockSupport.parkNanos(
                                20_000); // a slow job: later ones, on the other threads, wait for its turn
                    }
                    return j;
                },
                r -> {},
                r -> finishedBy.put(r, Thread.currentThread()));
        assertEquals(workedBy, finishedBy);
        assertTrue(new HashSet<>(workedBy.values()).size() > 1, "more than one thread worked");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void theFirstFailureStopsTheRestAndIsRethrown(int threads) {
        List<Integer> jobs = IntStream.range(0, 10_000).boxed().toList();
        AtomicInteger worked = new AtomicInteger();
        IOException boom = new IOException("chunk 100");
        IOException e = assertThrows(
                IOException.class,
                () -> Workers.inTurn(
                        threads,
                        jobs,
                        j -> {
                            worked.incrementAndGet();
                            return j;
                        },
                        r -> {},
                        r -> {
                            if (r == 100) {
                                throw boom;
                            }
                        }));
        assertSame(boom, e);
        assertTrue(worked.get() <= 100 + 6 * threads, "no job claimed long after the failure: " + worked.get());
    }
}
