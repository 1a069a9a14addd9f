package dev.elfz.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Collapsed stacks ("root;caller;callee COUNT" a line, as async-profiler's {@code collapsed} output or
 * flamegraph.pl's input) to a flame-graph SVG and a table of the frames with the largest shares. async-profiler
 * itself writes HTML flame graphs only; an SVG stays readable on a repository page and small once the frames
 * narrower than a pixel are left out.
 *
 * <pre>java -cp benchmarks.jar dev.elfz.bench.FlameSvg STACKS.txt OUT.svg "TITLE" [TOP [THREADS]]</pre>
 *
 * prints the top frames by self and by total share (TOP of each, 25 by default), then the share of each group
 * of frames ({@link #GROUPS}: the entropy stage, writes, page faults, waits...) of all samples and of each thread. THREADS, a regular expression,
 * keeps only the stacks whose first frame matches it: in wall-clock profiles split by thread (whose first frame
 * is "[NAME tid=N]"), the threads doing the work rather than the JVM's idle ones.
 */
public final class FlameSvg {
    private static final int WIDTH = 1200;
    private static final int ROW = 16;
    private static final double MIN_PIXELS = 4; // narrower frames (1/300 of the samples) are left out: small files

    /** One frame of the merged call tree: its samples, those of its callees included. */
    static final class Node {
        final String name;
        long total;
        final Map<String, Node> children = new LinkedHashMap<>();

        Node(String name) {
            this.name = name;
        }

        Node child(String frame) {
            return children.computeIfAbsent(frame, Node::new);
        }

        long self() {
            long inCallees = 0;
            for (Node c : children.values()) {
                inCallees += c.total;
            }
            return total - inCallees;
        }
    }

    private FlameSvg() {}

    /** Merges the collapsed lines into one tree under a root named "all"; malformed lines are skipped. */
    static Node parse(List<String> lines) {
        Node root = new Node("all");
        for (String line : lines) {
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                continue;
            }
            long count;
            try {
                count = Long.parseLong(line.substring(space + 1).trim());
            } catch (NumberFormatException e) {
                continue;
            }
            root.total += count;
            Node node = root;
            for (String frame : line.substring(0, space).split(";")) {
                node = node.child(frame);
                node.total += count;
            }
        }
        return root;
    }

    /** The SVG of the tree, root at the bottom, callees above their callers, widths in proportion to samples. */
    static String svg(Node root, String title) {
        int depth = depth(root, root.total);
        int height = (depth + 3) * ROW;
        StringBuilder out = new StringBuilder();
        out.append(
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"11\">\n"
                                .formatted(WIDTH, height))
                .append("<rect width=\"100%\" height=\"100%\" fill=\"#f8f8f0\"/>\n")
                .append("<text x=\"%d\" y=\"14\" text-anchor=\"middle\" font-size=\"13\">%s (%d samples)</text>\n"
                        .formatted(WIDTH / 2, escape(title), root.total));
        draw(out, root, 0, 0, WIDTH / (double) Math.max(1, root.total), height - ROW, root.total);
        return out.append("</svg>\n").toString();
    }

    private static int depth(Node node, long all) {
        int deepest = 0;
        for (Node c : node.children.values()) {
            if (c.total * WIDTH >= MIN_PIXELS * all) {
                deepest = Math.max(deepest, depth(c, all));
            }
        }
        return deepest + 1;
    }

    private static void draw(StringBuilder out, Node node, int level, double x, double scale, int bottom, long all) {
        double w = node.total * scale;
        int y = bottom - (level + 1) * ROW;
        String share = "%.2f%%".formatted(100.0 * node.total / all);
        out.append(
                "<g><title>%s (%d samples, %s)</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                        .formatted(escape(node.name), node.total, share, x, y, w, ROW - 1, color(node.name)));
        int chars = (int) ((w - 4) / 7); // about 7 pixels a character at 11 px
        if (chars >= 3) {
            String label = node.name.length() <= chars ? node.name : node.name.substring(0, chars - 2) + "..";
            out.append("<text x=\"%.1f\" y=\"%d\">%s</text>".formatted(x + 2, y + ROW - 4, escape(label)));
        }
        out.append("</g>\n");
        double cx = x;
        for (Node c : node.children.values()) {
            if (c.total * scale >= MIN_PIXELS) {
                draw(out, c, level + 1, cx, scale, bottom, all);
            }
            cx += c.total * scale;
        }
    }

    /** Java frames green, the OS kernel's orange, native code (the C library, the JVM, libc) red-brown. */
    private static String color(String frame) {
        int shade = Math.floorMod(frame.hashCode(), 55);
        if (frame.endsWith("_[k]")) {
            return "rgb(230,%d,60)".formatted(140 + shade);
        }
        boolean java = frame.matches(".*_\\[[ji01]\\]$"); // async-profiler's annotations: JIT, inlined, interpreted, C1
        return java
                ? "rgb(%d,200,%d)".formatted(80 + shade, 60 + shade)
                : "rgb(220,%d,%d)".formatted(90 + shade, 60 + shade);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The TOP frames by self samples and by total samples (a frame counted once per stack), in percent. */
    static void printTop(Node root, int top, PrintStream out) {
        Map<String, long[]> byFrame = new HashMap<>(); // frame -> {self, total}
        collect(root, byFrame, new HashMap<>());
        byFrame.remove("all");
        report(out, "self", byFrame, 0, top, root.total);
        report(out, "total", byFrame, 1, top, root.total);
    }

    private static void collect(Node node, Map<String, long[]> byFrame, Map<String, Integer> onStack) {
        long[] counts = byFrame.computeIfAbsent(node.name, k -> new long[2]);
        counts[0] += node.self();
        if (onStack.merge(node.name, 1, Integer::sum) == 1) { // recursion: counted at its outermost frame only
            counts[1] += node.total;
        }
        for (Node c : node.children.values()) {
            collect(c, byFrame, onStack);
        }
        onStack.merge(node.name, -1, Integer::sum);
    }

    private static void report(
            PrintStream out, String what, Map<String, long[]> byFrame, int column, int top, long all) {
        out.printf("top %d frames by %s share of %d samples:%n", top, what, all);
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(byFrame.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[column]));
        for (Map.Entry<String, long[]> e : sorted.subList(0, Math.min(top, sorted.size()))) {
            out.printf("%6.2f%%  %s%n", 100.0 * e.getValue()[column] / Math.max(1, all), e.getKey());
        }
    }

    /**
     * What a stack spends its time on, from its frames' names: the JIT's and the GC's threads by any frame, the
     * rest by the innermost frame that matches one of the later groups; the first group that matches wins.
     */
    static final List<Map.Entry<String, Pattern>> GROUPS = List.of(
            Map.entry("JIT compiler", Pattern.compile("CompileBroker::")),
            Map.entry("GC", Pattern.compile("GC Thread|G1 |ConcurrentGCThread|WorkerThread::run")),
            Map.entry("writeback (sync_file_range, fsync)", Pattern.compile("sync_file_range|fsync|fdatasync")),
            Map.entry("page faults", Pattern.compile("exc_page_fault")),
            Map.entry("write, pwrite", Pattern.compile("pwrite|__GI_write|ksys_write")),
            Map.entry("read, pread", Pattern.compile("pread|__GI_read")),
            Map.entry("madvise, mmap, munmap", Pattern.compile("madvise|munmap|mmap")),
            Map.entry("CRC32C", Pattern.compile("(?i)crc32c")),
            Map.entry(
                    "entropy stage", Pattern.compile("huffman|encode_stream|segment_histograms|elfz_entropy|Entropy")),
            Map.entry("ELF kernel", Pattern.compile("decode_f32|encode_f32|decode_f64|encode_f64")),
            Map.entry("copies", Pattern.compile("memcpy|arraycopy|copyMemory|copy_folio")),
            Map.entry("memset", Pattern.compile("memset|clear_page")),
            Map.entry(
                    "class loading, start-up",
                    Pattern.compile("ClassLoader|SystemDictionary|InstanceKlass|Dictionary::|Threads::create_vm")),
            Map.entry("waiting (futex, park)", Pattern.compile("futex|pthread_cond|__lll_lock|park")));

    /** The group of one stack (frames root first), or "other". */
    static String group(String[] frames) {
        String stack = String.join(";", frames);
        for (Map.Entry<String, Pattern> g : GROUPS.subList(0, 2)) {
            if (g.getValue().matcher(stack).find()) {
                return g.getKey();
            }
        }
        for (int i = frames.length - 1; i >= 0; i--) {
            for (Map.Entry<String, Pattern> g : GROUPS.subList(2, GROUPS.size())) {
                if (g.getValue().matcher(frames[i]).find()) {
                    return g.getKey();
                }
            }
        }
        return "other";
    }

    /**
     * The share of each group, of all samples and, when the stacks are split by thread ("[NAME tid=N]" first),
     * of each thread's.
     */
    static void printGroups(List<String> lines, PrintStream out) {
        Map<String, Map<String, Long>> byThread = new TreeMap<>();
        for (String line : lines) {
            int space = line.lastIndexOf(' ');
            if (space <= 0 || !line.substring(space + 1).trim().matches("\\d+")) {
                continue;
            }
            long count = Long.parseLong(line.substring(space + 1).trim());
            String[] frames = line.substring(0, space).split(";");
            String g = group(frames);
            byThread.computeIfAbsent("all", k -> new LinkedHashMap<>()).merge(g, count, Long::sum);
            if (frames[0].matches("\\[.* tid=\\d+\\]")) { // not async-profiler's [unknown] and the like
                byThread.computeIfAbsent(frames[0], k -> new LinkedHashMap<>()).merge(g, count, Long::sum);
            }
        }
        byThread.forEach((thread, groups) -> {
            long all = groups.values().stream().mapToLong(Long::longValue).sum();
            out.printf("groups of %s (%d samples):", thread, all);
            groups.entrySet().stream()
                    .sorted(Map.Entry.comparingByValue(Comparator.reverseOrder()))
                    .forEach(e -> out.printf(" %s %.1f%%;", e.getKey(), 100.0 * e.getValue() / all));
            out.println();
        });
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: FlameSvg STACKS.txt OUT.svg TITLE [TOP]");
            System.exit(2);
        }
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        if (args.length > 4) {
            Pattern threads = Pattern.compile(args[4]);
            lines = lines.stream()
                    .filter(l -> threads.matcher(l.split(";", 2)[0]).find())
                    .toList();
        }
        Node root = parse(lines);
        Files.writeString(Path.of(args[1]), svg(root, args[2]));
        printTop(root, args.length > 3 ? Integer.parseInt(args[3]) : 25, System.out);
        printGroups(lines, System.out);
    }
}
