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
}
