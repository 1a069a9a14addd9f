package dev.elfz.eval;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tensor written as a JSON nested array, {@code [[101, 7592, 2088, 102]]}: its shape from the nesting (every
 * array at one depth the same length), a bare number or boolean a scalar. All booleans, or all numbers: integers
 * unless one has a fraction or exponent (then all are floats).
 */
final class JsonArrays {

    /** ONNX Runtime takes at most this many dimensions. */
    private static final int MAX_RANK = 8;

    private JsonArrays() {}

    static Values read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JacksonException e) {
            throw new IOException(file + ": not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new IOException(file + ": empty file, not a JSON array");
        }
        List<Long> dims = new ArrayList<>();
        for (JsonNode n = root; n.isArray(); n = n.isEmpty() ? MissingNode.getInstance() : n.get(0)) {
            dims.add((long) n.size());
            if (dims.size() > MAX_RANK) {
                throw new IOException(file + ": nested over " + MAX_RANK + " deep: too many dimensions");
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        List<JsonNode> leaves = new ArrayList<>(Values.count(file.toString(), shape));
        flatten(file, root, shape, 0, "", leaves);
        return values(file, shape, leaves);
    }

    /** Collects the leaves in C order, checking that every array at depth d has shape[d] elements. */
    private static void flatten(Path file, JsonNode n, long[] shape, int depth, String at, List<JsonNode> out)
            throws IOException {
        String here = at.isEmpty() ? "the top level" : at;
        if (depth == shape.length) {
            if (n.isArray()) {
                throw new IOException(file + ": ragged array: " + here + " is an array, expected a value");
            }
            out.add(n);
            return;
        }
        if (!n.isArray() || n.size() != shape[depth]) {
            throw new IOException(file + ": ragged array: " + here + " has "
                    + (n.isArray() ? n.size() + " elements" : "a single value") + ", expected " + shape[depth]
                    + " as the first one at its depth");
        }
        for (int i = 0; i < n.size(); i++) {
            flatten(file, n.get(i), shape, depth + 1, at + "[" + i + "]", out);
        }
    }

    private static Values values(Path file, long[] shape, List<JsonNode> leaves) throws IOException {
        boolean bools = !leaves.isEmpty() && leaves.getFirst().isBoolean();
        boolean floats = leaves.stream().anyMatch(JsonNode::isFloatingPointNumber);
        for (int i = 0; i < leaves.size(); i++) {
            JsonNode v = leaves.get(i);
            if (bools ? !v.isBoolean() : !v.isNumber()) {
                throw new IOException(file + ": " + Values.position(shape, i) + " is " + describe(v) + " among "
                        + (bools ? "booleans" : "numbers") + ": give all numbers or all true/false");
            }
            if (v.isIntegralNumber() && !v.canConvertToLong()) {
                throw new IOException(
                        file + ": value " + v + " at " + Values.position(shape, i) + " does not fit in 64 bits");
            }
        }
        if (floats) {
            return new Values(
                    file.toString(),
                    Values.Kind.FLOAT,
                    "float",
                    shape,
                    null,
                    leaves.stream().mapToDouble(JsonNode::doubleValue).toArray());
        }
        return new Values(
                file.toString(),
                bools ? Values.Kind.BOOL : Values.Kind.INT,
                bools ? "bool" : "int",
                shape,
                leaves.stream()
                        .mapToLong(v -> bools ? (v.booleanValue() ? 1 : 0) : v.longValue())
                        .toArray(),
                null);
    }

    private static String describe(JsonNode v) {
        return v.isTextual()
                ? "a string"
                : v.isNull() ? "null" : v.isObject() ? "an object" : v.isBoolean() ? "a boolean" : "a number " + v;
    }
}
