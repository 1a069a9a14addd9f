package dev.elfz.container;

import dev.elfz.ElfzException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/** Independent passes over a list on the common pool, their results and failures in the list's order. */
final class Parallel {

    private Parallel() {}

    /** A pass that may fail with an ElfzException. */
    @FunctionalInterface
    interface Pass<T, R> {
        R apply(T t) throws ElfzException;
    }

    /**
     * {@code pass} of every element, in parallel; the results in order.
     *
     * @throws ElfzException the failure of the first element, in list order, that failed
     */
    static <T, R> List<R> map(List<T> items, Pass<T, R> pass) throws ElfzException {
        Object[] out = new Object[items.size()];
        ElfzException[] failed = new ElfzException[items.size()];
        IntStream.range(0, items.size()).parallel().forEach(i -> {
            try {
                out[i] = pass.apply(items.get(i));
            } catch (ElfzException e) {
                failed[i] = e;
            }
        });
        List<R> results = new ArrayList<>();
        for (int i = 0; i < out.length; i++) {
            if (failed[i] != null) {
                throw failed[i];
            }
            @SuppressWarnings("unchecked")
            R r = (R) out[i];
            results.add(r);
        }
        return results;
    }
}
