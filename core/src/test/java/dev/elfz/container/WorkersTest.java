package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
