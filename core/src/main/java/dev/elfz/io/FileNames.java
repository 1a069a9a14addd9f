package dev.elfz.io;

import java.io.File;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * File names exactly as the file system holds them. A Linux name is any bytes, but {@link Path#toString()} decodes
 * them with {@code sun.jnu.encoding} (the locale's, UTF-8 here; {@code -Dsun.jnu.encoding} is ignored) and turns
 * every byte that is not UTF-8 into U+FFFD, so two names can print alike and neither can be created again from its
 * string. The bytes survive in a path's {@code file:} URI ({@link Path#toUri()} percent-encodes them, and
 * {@link Path#of(URI)} makes a path of exactly those bytes), which is how this class reads and makes them.
 *
 * <p>A name is kept as a String that holds every byte that is not part of a UTF-8 sequence as the lone surrogate
 * U+DC00 + byte (U+DC80..U+DCFF, Python's {@code surrogateescape}, PEP 383): one string per byte sequence, equal and
 * ordered as strings, and for UTF-8 names simply the name.
 */
public final class FileNames {

    private FileNames() {}

    /** Whether {@link Path#toString()} gives a name's characters exactly when it shows no U+FFFD (Windows: UTF-16). */
    private static final boolean EXACT_STRINGS = File.separatorChar == '\\'
            || Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"), null) == StandardCharsets.UTF_8;

    private static final char ESCAPE = 0xDC00;

    /** The exact name of one element of a path (a file or directory name). */
    public static String name(Path element) {
        String s = element.toString();
        if (EXACT_STRINGS && s.indexOf('\uFFFD') < 0) {
            return s;
        }
        // the bytes, through the URI of "/" + the element (a path's URI is absolute)
        Path rooted =
                element.getFileSystem().getRootDirectories().iterator().next().resolve(element);
        String raw = rooted.toUri().getRawPath();
        int end = raw.endsWith("/") && raw.length() > 1 ? raw.length() - 1 : raw.length(); // a directory's URI
        return fromBytes(percentDecode(raw.substring(1, end)));
    }

    /** A name from its bytes: UTF-8 where they are, each other byte as U+DC00 + byte. */
    public static String fromBytes(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (!r.isError()) {
                break;
            }
            for (int i = 0; i < r.length(); i++) {
                out.put((char) (ESCAPE + (in.get() & 0xFF)));
            }
        }
        return out.flip().toString();
    }

    /** The bytes of a name made by {@link #name} or {@link #fromBytes}. */
    public static byte[] bytes(String name) {
        if (isUtf8(name)) {
            return name.getBytes(StandardCharsets.UTF_8);
        }
        ByteBuffer out = ByteBuffer.allocate(3 * name.length());
        int from = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || isEscape(name, i)) {
                out.put(name.substring(from, i).getBytes(StandardCharsets.UTF_8));
                if (i < name.length()) {
                    out.put((byte) (name.charAt(i) - ESCAPE));
                }
                from = i + 1;
            }
        }
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }

    /** Whether the name is UTF-8 (holds no escaped byte). */
    public static boolean isUtf8(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (isEscape(name, i)) {
                return false;
            }
        }
        return true;
    }

    /** The name for people: each escaped byte as U+FFFD. */
    public static String display(String name) {
        StringBuilder b = new StringBuilder(name);
        for (int i = 0; i < b.length(); i++) {
            if (isEscape(name, i)) {
                b.setCharAt(i, '\uFFFD');
            }
        }
        return b.toString();
    }

    /** The name's bytes in lowercase hex when it is not UTF-8, else null. */
    public static String hexIfRaw(String name) {
        return isUtf8(name) ? null : HexFormat.of().formatHex(bytes(name));
    }

    /**
     * The path of a '/'-separated relative name below {@code dir}, byte for byte.
     *
     * @throws IllegalArgumentException when the name holds a NUL byte (no file system name can)
     */
    public static Path resolve(Path dir, String relative) {
        if (EXACT_STRINGS && isUtf8(relative)) {
            return dir.resolve(relative);
        }
        StringBuilder uri = new StringBuilder(dir.toAbsolutePath().toUri().toString());
        if (uri.charAt(uri.length() - 1) != '/') {
            uri.append('/');
        }
        HexFormat hex = HexFormat.of().withUpperCase();
        for (byte b : bytes(relative)) {
            char c = (char) (b & 0xFF);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~/".indexOf(c) >= 0)) {
                uri.append(c);
            } else {
                uri.append('%');
                hex.toHexDigits(uri, b);
            }
        }
        return Path.of(URI.create(uri.toString()));
    }

    /** A lone low surrogate in U+DC80..U+DCFF: an escaped byte (a paired one is half of a real character). */
    private static boolean isEscape(String s, int i) {
        char c = s.charAt(i);
        return c >= ESCAPE + 0x80 && c <= ESCAPE + 0xFF && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    private static byte[] percentDecode(String raw) {
        ByteBuffer out = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                out.put((byte) HexFormat.fromHexDigits(raw, i + 1, i + 3));
                i += 2;
            } else {
                out.put((byte) c);
            }
        }
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }
}
