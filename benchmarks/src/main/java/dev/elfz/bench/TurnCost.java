package dev.elfz.bench;

import dev.elfz.container.Workers;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The cost of {@link Workers#inTurn}'s hand-offs with no work in the jobs: per job, the whole claim / turn / finish
 * round and the time inside the in-turn step (a step like compress's: an offset handed out). With 1 MiB chunks a
 * GB is about 1,000 jobs, so these microseconds per job are milliseconds of serial time per GB.
 *
 * <pre>TurnCost [JOBS]</pre>
 */
public final class TurnCost {

    private TurnCost() {}

    public static void main(String[] args) throws IOException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        List<Integer> jobs = IntStream.range(0, n).boxed().toList();
        for (int round = 0; round < 3; round++) {
            for (int threads : new int[] {1, 2}) {
                long[] position = {0};
                long[] serial = {0};
                long t0 = System.nanoTime();
                Workers.inTurn(
                        threads,
                        jobs,
                        j -> new long[] {j & 1023, 0},
                        r -> {
                            long s = System.nanoTime();
                            r[1] = position[0];
                            position[0] += r[0];
                            serial[0] += System.nanoTime() - s;
                        },
                        r -> {});
                long t1 = System.nanoTime();
                System.out.printf(
                        Locale.ROOT,
                        "round %d, %d threads: %.2f us per job in all, %.3f us in the in-turn step%n",
                        round,
                        threads,
                        (t1 - t0) / 1e3 / n,
                        serial[0] / 1e3 / n);
            }
        }
    }
}
