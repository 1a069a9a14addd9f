package dev.elfz.cli;

import dev.elfz.eval.OnnxEval;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The inputs `eval` and `sweep` run a model on: how many, how long, which ids, which seed. */
final class EvalInputs {

    @Option(names = "--samples", paramLabel = "N", defaultValue = "4", description = "Inputs to run (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", paramLabel = "L", defaultValue = "16",
            description = "Size of every dynamic dimension but a leading batch of 1 (default ${DEFAULT-VALUE}).")
    int sequence;

    @Option(names = "--max-id", paramLabel = "M", defaultValue = "1000",
            description = "Integer inputs other than masks, token types and positions are ids in [0, M) (default ${DEFAULT-VALUE}).")
    long maxId;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the inputs (default ${DEFAULT-VALUE}).")
    long seed;

    /** The inputs, or a usage error of {@code spec}'s command. */
    OnnxEval.Inputs get(CommandSpec spec) {
        try {
            return new OnnxEval.Inputs(samples, sequence, maxId, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--samples, --seq-len and --max-id must be positive");
        }
    }
}
