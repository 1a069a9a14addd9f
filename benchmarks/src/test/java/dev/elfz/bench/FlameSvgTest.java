package dev.elfz.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FlameSvg on a few collapsed stacks whose shares are known. */
class FlameSvgTest {

    private static final List<String> STACKS = List.of(
            "main;decode;crc32c 30", "main;decode 50", "main;write<T>;fsync 15", "not a stack line", "main;f;f;f 5");

    @Test
    void mergesStacksIntoSelfAndTotalCounts() {
        FlameSvg.Node root = FlameSvg.parse(STACKS);
        assertEquals(100, root.total);
        FlameSvg.Node decode = root.children.get("main").children.get("decode");
        assertEquals(80, decode.total);
        assertEquals(50, decode.self());
        assertEquals(0, root.children.get("main").self());
    }

    @Test
    void drawsWideFramesWithEscapedNamesAndLeavesOutTheSubPixelOnes() {
        List<String> stacks = List.of("main;wide 100000", "main;tiny 1");
        String svg = FlameSvg.svg(FlameSvg.parse(STACKS), "t & t");
        assertTrue(svg.startsWith("<svg"), svg);
        assertTrue(svg.contains("write&lt;T&gt;"), svg);
        assertTrue(svg.contains("t &amp; t (100 samples)"), svg);
        String big = FlameSvg.svg(FlameSvg.parse(stacks), "x");
        assertTrue(big.contains("<title>wide "), big);
        assertFalse(big.contains("tiny"), big);
    }

    @Test
    void ranksFramesBySelfAndByTotalCountingRecursionOnce() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FlameSvg.printTop(FlameSvg.parse(STACKS), 2, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("top 2 frames by self share of 100 samples:", lines.get(0));
        assertEquals(" 50.00%  decode", lines.get(1));
        assertEquals(" 30.00%  crc32c", lines.get(2));
        assertEquals("top 2 frames by total share of 100 samples:", lines.get(3));
        assertEquals("100.00%  main", lines.get(4));
        assertEquals(" 80.00%  decode", lines.get(5));
    }

    @Test
    void groupsStacksByTheirInnermostKnownFrameAndByThread() {
        assertEquals("entropy stage", FlameSvg.group("main;decode;huffman_decode".split(";")));
        assertEquals("write, pwrite", FlameSvg.group("main;huffman_decode;__pwrite64".split(";")));
        assertEquals(
                "JIT compiler", FlameSvg.group("start_thread;CompileBroker::compiler_thread_loop;memcpy".split(";")));
        assertEquals("other", FlameSvg.group("main;parse".split(";")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FlameSvg.printGroups(
                List.of(
                        "[main tid=1];run;huffman_decode 3",
                        "[main tid=1];run;Unsafe.park;futex_wait 1",
                        "[elfz-worker tid=2];__pwrite64 4"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals(
                List.of(
                        "groups of [elfz-worker tid=2] (4 samples): write, pwrite 100.0%;",
                        "groups of [main tid=1] (4 samples): entropy stage 75.0%; waiting (futex, park) 25.0%;",
                        "groups of all (8 samples): write, pwrite 50.0%; entropy stage 37.5%; waiting (futex, park) 12.5%;"),
                bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }
}
