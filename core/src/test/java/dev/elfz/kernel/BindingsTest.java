package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.bindings.elfz_h;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The committed jextract output must match native/include/elfz.h (run bindings/regenerate.sh when this
 * fails), and the built library must export every bound symbol.
 */
class BindingsTest {

    private static final Pattern PROTOTYPE =
            Pattern.compile("^ELFZ_API\\s+[^;(]*?\\b(elfz_\\w+)\\s*\\(([^)]*)\\)\\s*;", Pattern.MULTILINE);

    private static final Pattern CONSTANT =
            Pattern.compile("^#define\\s+(ELFZ_[A-Z0-9_]+)\\s+\\(?(-?\\d+)\\)?", Pattern.MULTILINE);

    private static String header() throws IOException {
        return Files.readString(Path.of(System.getProperty("basedir", "."), "..", "native", "include", "elfz.h"));
    }

    /** Function name -> parameter count, read from the header. */
    static Map<String, Integer> headerFunctions() throws IOException {
        String text = header();
        Map<String, Integer> functions = new TreeMap<>();
        Matcher m = PROTOTYPE.matcher(text);
        while (m.find()) {
            String params = m.group(2).strip();
            functions.put(m.group(1), params.equals("void") || params.isEmpty() ? 0 : params.split(",").length);
        }
        return functions;
    }

    /** Function name -> parameter count, from the bindings' descriptors. */
    static Map<String, Integer> boundFunctions() throws ReflectiveOperationException {
        Map<String, Integer> functions = new TreeMap<>();
        for (Method m : elfz_h.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("$descriptor")) {
                FunctionDescriptor d = (FunctionDescriptor) m.invoke(null);
                functions.put(
                        m.getName().replace("$descriptor", ""),
                        d.argumentLayouts().size());
            }
        }
        return functions;
    }

    @Test
    void everyHeaderFunctionIsBoundWithTheSameArity() throws Exception {
        Map<String, Integer> header = headerFunctions();
        assertFalse(header.isEmpty(), "no prototypes parsed from elfz.h");
        NativeRequired.assume(); // the bindings' descriptors resolve symbols
        assertEquals(header, boundFunctions(), "elfz.h and bindings/ differ: run bindings/regenerate.sh");
    }

    /** Catches a header change, such as an ELFZ_VERSION bump, that was not followed by bindings/regenerate.sh. */
    @Test
    void everyHeaderConstantHasItsValueInTheBindings() throws Exception {
        Matcher m = CONSTANT.matcher(header());
        int seen = 0;
        while (m.find()) {
            Method bound = elfz_h.class.getMethod(m.group(1));
            assertEquals(
                    Integer.parseInt(m.group(2)),
                    bound.invoke(null),
                    m.group(1) + " differs in elfz.h and bindings/: run bindings/regenerate.sh");
            seen++;
        }
        assertTrue(seen > 10, "only " + seen + " constants parsed from elfz.h");
    }

    @Test
    void theLoadedLibraryHasTheBindingsVersion() {
        NativeRequired.assume();
        assertEquals(NativeLibrary.bindingsVersion(), elfz_h.elfz_version());
    }

    @Test
    void aLibraryOfAnotherVersionIsRefusedInOneLine() {
        Path file = Path.of("/tmp/libelfz.so");
        assertNull(NativeLibrary.versionMismatch(file, 0x000200, 0x000200));
        assertEquals(
                "native library /tmp/libelfz.so has C API 0.1.0, this elfz needs 0.2.0",
                NativeLibrary.versionMismatch(file, 0x000100, 0x000200));
        assertEquals(
                "native library /tmp/libelfz.so has C API 1.0.3, this elfz needs 0.2.0",
                NativeLibrary.versionMismatch(file, 0x010003, 0x000200));
    }

    @Test
    void theBuiltLibraryExportsEveryBoundSymbol() throws Exception {
        NativeRequired.assume();
        var lookup = NativeLibrary.get().lookup();
        for (String name : headerFunctions().keySet()) {
            assertTrue(
                    lookup.find(name).isPresent(),
                    name + " missing from " + NativeLibrary.get().path());
        }
        // and nothing internal leaks: the kernels' tables are hidden
        assertFalse(lookup.find("elfz_kernels_scalar").isPresent(), "internal symbol exported");
        assertFalse(lookup.find("elfz_encode_scalar_f32").isPresent(), "internal symbol exported");
    }
}
