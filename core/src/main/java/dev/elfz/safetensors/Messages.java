package dev.elfz.safetensors;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/** Keeps error messages to one readable line whatever a header contains. */
final class Messages {

    private Messages() {}

    /** A name in double quotes, with control characters escaped as in JSON (a name may hold a newline). */
    static String quote(String s) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + '"';
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
