package dev.elfz.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** Function name -> parameter count, read from the header. */
    static Map<String, Integer> headerFunctions() throws IOException {
        Path header = Path.of(System.getProperty("basedir", "."), "..", "native", "include", "elfz.h");
        String text = Files.readString(header);
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
                functions.put(m.getName().replace("$descriptor", ""), d.argumentLayouts().size());
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

    @Test
    void theBuiltLibraryExportsEveryBoundSymbol() throws Exception {
        NativeRequired.assume();
        var lookup = NativeLibrary.get().lookup();
        for (String name : headerFunctions().keySet()) {
            assertTrue(lookup.find(name).isPresent(), name + " missing from " + NativeLibrary.get().path());
        }
        // and nothing internal leaks: the kernels' tables are hidden
        assertFalse(lookup.find("elfz_kernels_scalar").isPresent(), "internal symbol exported");
        assertFalse(lookup.find("elfz_encode_scalar_f32").isPresent(), "internal symbol exported");
    }
}
