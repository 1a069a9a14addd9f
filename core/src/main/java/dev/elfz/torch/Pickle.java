package dev.elfz.torch;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler that executes nothing: it reads the opcodes of pickle protocols 2 to 5 that torch.save's
 * {@code data.pkl} of a state dict uses into plain values (Long, BigInteger, Double, Boolean, String, byte[],
 * {@link #NONE}, {@link Tuple}, lists and {@link Dict}s) and accepts only the globals a state dict needs, each turned
 * into a value here rather than called; any other opcode or global is refused with one line naming it.
 */
final class Pickle {

    /** Python's None. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** A tuple. */
    record Tuple(List<Object> items) {}

    /** A dict or an OrderedDict, in insertion order. */
    static final class Dict extends LinkedHashMap<Object, Object> {}

    /** What a {@code BINPERSID} opcode's id turns into (torch's storages). */
    @FunctionalInterface
    interface Persistent {
        Object load(Tuple id) throws TorchException;
    }

    /** A global the unpickler accepts: the value of {@code REDUCE} on it, from its arguments. */
    @FunctionalInterface
    interface Callable {
        Object call(List<Object> args) throws TorchException;
    }

    /** A global by name: something {@link Callable} or a marker such as a storage class. */
    record Global(String name, Object value) {}

    private final Path path;
    private final byte[] b;
    private final Map<String, Object> globals;
    private final Persistent persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int at;

    private Pickle(Path path, byte[] b, Map<String, Object> globals, Persistent persistent) {
        this.path = path;
        this.b = b;
        this.globals = globals;
        this.persistent = persistent;
    }

    /**
     * Reads one pickle.
     *
     * @param globals "module.name" to what the global is: a {@link Callable}, or any other value {@code REDUCE} refuses
     * @throws TorchException for an opcode or a global outside the subset, or a damaged pickle
     */
    static Object load(Path path, byte[] pickle, Map<String, Object> globals, Persistent persistent)
            throws TorchException {
        Pickle p = new Pickle(path, pickle, globals, persistent);
        try {
            return p.run();
        } catch (IndexOutOfBoundsException | ClassCastException | IllegalArgumentException e) {
            throw p.fail("damaged pickle near byte " + p.at);
        }
    }

    private Object run() throws TorchException {
        while (true) {
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) {
                        throw fail("pickle protocol " + v + ", not 2 to 5");
                    }
                }
                case 0x95 -> skip(8); // FRAME: a length hint
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail("damaged pickle: it stops with " + stack.size() + " values on its stack");
                    }
                    return stack.getFirst();
                }
                case '(' -> marks.add(stack.size()); // MARK
                case '}' -> push(new Dict()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark())); // TUPLE
                case 0x85 -> push(tuple(1)); // TUPLE1
                case 0x86 -> push(tuple(2)); // TUPLE2
                case 0x87 -> push(tuple(3)); // TUPLE3
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (u8() | u8() << 8)); // BININT2
                case 'J' -> push((long) (int) le(4)); // BININT
                case 0x8a -> push(integer(bytes(u8()))); // LONG1
                case 0x8b -> push(integer(bytes(length(4)))); // LONG4
                case 'G' ->
                    push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 'X' -> push(utf8(bytes(length(4)))); // BINUNICODE
                case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(bytes(length(8)))); // BINUNICODE8
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 'B' -> push(bytes(length(4))); // BINBYTES
                case 0x8e -> push(bytes(length(8))); // BINBYTES8
                case 'q' -> memo.put((long) u8(), top()); // BINPUT
                case 'r' -> memo.put(le(4), top()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), top()); // MEMOIZE
                case 'h' -> push(get(u8())); // BINGET
                case 'j' -> push(get(le(4))); // LONG_BINGET
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m && name instanceof String n)) {
                        throw fail("damaged pickle: STACK_GLOBAL of values that are not strings");
                    }
                    push(global(m, n));
                }
                case 'Q' -> { // BINPERSID
                    if (!(pop() instanceof Tuple id)) {
                        throw fail("a persistent id that is not a tuple");
                    }
                    push(persistent.load(id));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object f = pop();
                    if (!(f instanceof Global g)) {
                        throw fail("damaged pickle: REDUCE of a value that is not a global");
                    }
                    if (!(g.value() instanceof Callable c) || !(args instanceof Tuple t)) {
                        throw fail("refusing to call " + g.name() + ": elfz reads state dicts only");
                    }
                    push(c.call(t.items()));
                }
                case 'b' -> { // BUILD: only a dict's attributes (a state dict's _metadata), which are left out
                    Object state = pop();
                    if (!(top() instanceof Dict) || !(state instanceof Dict || state == NONE)) {
                        throw fail("refusing to set the state of an object: elfz reads state dicts only");
                    }
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    dict().put(key(k), v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    Dict d = dict();
                    if (items.size() % 2 != 0) {
                        throw fail("damaged pickle: SETITEMS of an odd number of values");
                    }
                    for (int i = 0; i < items.size(); i += 2) {
                        d.put(key(items.get(i)), items.get(i + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    list().add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list().addAll(items);
                }
                default ->
                    throw fail(String.format(
                            "pickle opcode 0x%02x at byte %d is outside what a state dict needs", op, at - 1));
            }
        }
    }

    private Object global(String module, String name) throws TorchException {
        String full = module + "." + name;
        if (!globals.containsKey(full)) {
            throw fail("refusing to load " + full + ": elfz reads state dicts only");
        }
        return new Global(full, globals.get(full));
    }

    /** Dict keys are strings, numbers, None, booleans or tuples of those, hashed without recursion. */
    private Object key(Object k) throws TorchException {
        if (k instanceof Tuple t && t.items().stream().allMatch(Pickle::scalar) || scalar(k)) {
            return k;
        }
        throw fail("a dict key that is not a string, a number or a tuple of those");
    }

    private static boolean scalar(Object o) {
        return o instanceof String
                || o instanceof Long
                || o instanceof BigInteger
                || o instanceof Double
                || o instanceof Boolean
                || o == NONE;
    }

    private Dict dict() throws TorchException {
        if (!(top() instanceof Dict d)) {
            throw fail("damaged pickle: items set on a value that is not a dict");
        }
        return d;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list() throws TorchException {
        if (!(top() instanceof ArrayList<?> l)) {
            throw fail("damaged pickle: items appended to a value that is not a list");
        }
        return (List<Object>) l;
    }

    private Tuple tuple(int n) throws TorchException {
        if (stack.size() - n < (marks.isEmpty() ? 0 : marks.getLast())) {
            throw fail("damaged pickle: a tuple of values the stack does not hold");
        }
        List<Object> top = stack.subList(stack.size() - n, stack.size());
        Tuple t = new Tuple(List.copyOf(top));
        top.clear();
        return t;
    }

    private List<Object> popMark() throws TorchException {
        if (marks.isEmpty()) {
            throw fail("damaged pickle: no mark");
        }
        List<Object> top = stack.subList(marks.removeLast(), stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private Object get(long key) throws TorchException {
        Object o = memo.get(key);
        if (o == null) {
            throw fail("damaged pickle: memo " + key + " read before it is written");
        }
        return o;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() throws TorchException {
        if (stack.size() <= (marks.isEmpty() ? 0 : marks.getLast())) {
            throw fail("damaged pickle: a value taken from an empty stack near byte " + at);
        }
        return stack.removeLast();
    }

    private Object top() throws TorchException {
        if (stack.isEmpty()) {
            throw fail("damaged pickle: an empty stack near byte " + at);
        }
        return stack.getLast();
    }

    private static Object integer(byte[] le) {
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = le.length == 0 ? BigInteger.ZERO : new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String line() throws TorchException {
        int start = at;
        while (at < b.length && b[at] != '\n') {
            at++;
        }
        if (at >= b.length) {
            throw fail("damaged pickle: a global's name runs past its end");
        }
        return new String(b, start, at++ - start, StandardCharsets.UTF_8);
    }

    private String utf8(byte[] s) throws TorchException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(s))
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail("a string in the pickle that is not UTF-8");
        }
    }

    private int length(int width) throws TorchException {
        long n = le(width);
        if (n < 0 || n > b.length - at) {
            throw fail("damaged pickle: a length of " + Long.toUnsignedString(n) + " past its end");
        }
        return (int) n;
    }

    private long le(int width) throws TorchException {
        byte[] x = bytes(width);
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (x[i] & 0xFF);
        }
        return v;
    }

    private byte[] bytes(int n) throws TorchException {
        if (n < 0 || n > b.length - at) {
            throw fail("a pickle cut short (" + n + " bytes wanted at byte " + at + " of " + b.length + ")");
        }
        byte[] x = Arrays.copyOfRange(b, at, at + n);
        at += n;
        return x;
    }

    private void skip(int n) throws TorchException {
        bytes(n);
    }

    private int u8() throws TorchException {
        if (at >= b.length) {
            throw fail("a pickle cut short: no STOP opcode");
        }
        return b[at++] & 0xFF;
    }

    private TorchException fail(String what) {
        return new TorchException(path, what);
    }
}
