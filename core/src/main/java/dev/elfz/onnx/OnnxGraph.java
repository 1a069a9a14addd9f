package dev.elfz.onnx;

import dev.elfz.io.InputChangedException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a model's graph says about its inputs, read from the wire format as {@link OnnxFile} reads it (no ONNX
 * Runtime, no protobuf library): which embedding table an integer input indexes, so that generated ids stay
 * inside its rows. Only the main graph is read (nodes, initializers' dims and names, inputs); subgraphs are not.
 */
public final class OnnxGraph {

    /** An initializer whose rows an input's values pick: the data of a Gather, e.g. a word-embedding table. */
    public record Table(String name, long rows) {}

    /**
     * Ops an index passes through unchanged on its way to a Gather (they reshape or retype it, and ids survive):
     * followed from their first input to their first output.
     */
    private static final Set<String> PASS_THROUGH =
            Set.of("Cast", "Identity", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Expand", "Transpose");

    /** Where a lookup op takes its indices and the table they pick rows of (along its axis), by input position. */
    private record Lookup(int indices, int table) {}

    /**
     * The lookup ops: Gather, and ONNX Runtime's fused embedding (com.microsoft EmbedLayerNormalization, which its
     * transformer optimizer puts in place of BERT's Gathers): input_ids -> word_embedding, segment_ids ->
     * segment_embedding, position_ids -> position_embedding.
     */
    private static final Map<String, List<Lookup>> LOOKUPS = Map.of(
            "Gather", List.of(new Lookup(1, 0)),
            "EmbedLayerNormalization", List.of(new Lookup(0, 2), new Lookup(1, 4), new Lookup(8, 3)));

    private record Node(String op, List<String> inputs, List<String> outputs, long axis) {}

    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, long[]> initializers = new HashMap<>();
    private final List<String> inputs = new ArrayList<>();

    private OnnxGraph() {}

    /**
     * For every graph input whose values are the indices of a Gather over an initializer (directly or through
     * {@link #PASS_THROUGH} ops), that initializer and its size along the gathered axis; the smallest when there
     * are several. Inputs found nowhere are absent.
     *
     * @throws OnnxException when the file cannot be read or is not protobuf
     */
    public static Map<String, Table> indexedTables(Path model) throws OnnxException {
        OnnxGraph g = read(model);
        Map<String, List<Node>> consumers = new HashMap<>();
        for (Node n : g.nodes) {
            n.inputs()
                    .forEach(in -> consumers
                            .computeIfAbsent(in, k -> new ArrayList<>())
                            .add(n));
        }
        Map<String, Table> out = new LinkedHashMap<>();
        for (String input : g.inputs) {
            Table t = g.tableOf(input, consumers);
            if (t != null) {
                out.put(input, t);
            }
        }
        return out;
    }

    /** The smallest table a value reaches as Gather indices, following pass-through ops; null if none. */
    private Table tableOf(String value, Map<String, List<Node>> consumers) {
        Table best = null;
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(value));
        Set<String> seen = new HashSet<>(todo);
        while (!todo.isEmpty()) {
            String v = todo.poll();
            for (Node n : consumers.getOrDefault(v, List.of())) {
                for (Lookup l : LOOKUPS.getOrDefault(n.op(), List.of())) {
                    if (n.inputs().size() <= Math.max(l.indices(), l.table())
                            || !n.inputs().get(l.indices()).equals(v)) {
                        continue;
                    }
                    long[] dims = initializers.get(n.inputs().get(l.table()));
                    long axis = n.axis() < 0 && dims != null ? n.axis() + dims.length : n.axis();
                    if (dims != null
                            && axis >= 0
                            && axis < dims.length
                            && (best == null || dims[(int) axis] < best.rows())) {
                        best = new Table(n.inputs().get(l.table()), dims[(int) axis]);
                    }
                }
                if (PASS_THROUGH.contains(n.op())
                        && n.inputs().getFirst().equals(v)
                        && !n.outputs().isEmpty()
                        && seen.add(n.outputs().getFirst())) {
                    todo.add(n.outputs().getFirst());
                }
            }
        }
        return best;
    }

    private static OnnxGraph read(Path path) throws OnnxException {
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            OnnxGraph g = new OnnxGraph();
            Wire model = new Wire(path, file, 0, file.byteSize());
            while (model.more()) {
                model.next();
                if (model.field() == 7) { // ModelProto.graph
                    model.expect("ModelProto.graph", Wire.LEN);
                    g.graph(model.sub(model.length()), file);
                } else {
                    model.skip();
                }
            }
            return g;
        } catch (OnnxException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new OnnxException(path, "no such file", e);
        } catch (IOException e) {
            throw new OnnxException(path, "cannot read: " + e, e);
        } catch (InternalError e) { // a fault reading the mapping while parsing it (MappedInput)
            throw new OnnxException(path, InputChangedException.WHAT, e);
        }
    }

    /** GraphProto: node 1, initializer 5, input 11. */
    private void graph(Wire g, MemorySegment file) throws OnnxException {
        while (g.more()) {
            g.next();
            switch (g.field()) {
                case 1 -> {
                    g.expect("GraphProto.node", Wire.LEN);
                    nodes.add(node(g.sub(g.length()), file));
                }
                case 5 -> {
                    g.expect("GraphProto.initializer", Wire.LEN);
                    initializer(g.sub(g.length()), file);
                }
                case 11 -> {
                    g.expect("GraphProto.input", Wire.LEN);
                    inputs.add(firstString(g.sub(g.length()), file, 1)); // ValueInfoProto.name
                }
                default -> g.skip();
            }
        }
    }

    /** NodeProto: input 1, output 2, op_type 4, attribute 5 (only an "axis" is kept: Gather's; 0 when none). */
    private static Node node(Wire n, MemorySegment file) throws OnnxException {
        List<String> ins = new ArrayList<>();
        List<String> outs = new ArrayList<>();
        String op = "";
        long axis = 0;
        while (n.more()) {
            n.next();
            switch (n.field()) {
                case 1, 2, 4 -> {
                    n.expect("NodeProto field", Wire.LEN);
                    String s = string(n, file);
                    switch (n.field()) {
                        case 1 -> ins.add(s);
                        case 2 -> outs.add(s);
                        default -> op = s;
                    }
                }
                case 5 -> {
                    n.expect("NodeProto.attribute", Wire.LEN);
                    Long a = axis(n.sub(n.length()), file);
                    axis = a != null ? a : axis;
                }
                default -> n.skip();
            }
        }
        return new Node(op, ins, outs, axis);
    }

    /** The value of an AttributeProto named "axis" (name 1, i 3), else null. */
    private static Long axis(Wire a, MemorySegment file) throws OnnxException {
        String name = "";
        Long i = null;
        while (a.more()) {
            a.next();
            if (a.field() == 1 && a.type() == Wire.LEN) {
                name = string(a, file);
            } else if (a.field() == 3 && a.type() == Wire.VARINT) {
                i = a.varint();
            } else {
                a.skip();
            }
        }
        return name.equals("axis") ? i : null;
    }

    /** TensorProto: dims 1 (unpacked or packed), name 8. */
    private void initializer(Wire t, MemorySegment file) throws OnnxException {
        List<Long> dims = new ArrayList<>();
        String name = "";
        while (t.more()) {
            t.next();
            if (t.field() == 1 && t.type() == Wire.VARINT) {
                dims.add(t.varint());
            } else if (t.field() == 1 && t.type() == Wire.LEN) {
                Wire packed = t.sub(t.length());
                while (packed.more()) {
                    dims.add(packed.varint());
                }
            } else if (t.field() == 8 && t.type() == Wire.LEN) {
                name = string(t, file);
            } else {
                t.skip();
            }
        }
        initializers.put(name, dims.stream().mapToLong(Long::longValue).toArray());
    }

    private static String firstString(Wire w, MemorySegment file, int field) throws OnnxException {
        String s = "";
        while (w.more()) {
            w.next();
            if (w.field() == field && w.type() == Wire.LEN && s.isEmpty()) {
                s = string(w, file);
            } else {
                w.skip();
            }
        }
        return s;
    }

    /** The current length-delimited field as UTF-8 (names only: never a payload). */
    private static String string(Wire w, MemorySegment file) throws OnnxException {
        long n = w.length();
        byte[] b = file.asSlice(w.position(), n).toArray(ValueLayout.JAVA_BYTE);
        w.sub(n);
        return new String(b, StandardCharsets.UTF_8);
    }
}
