package dev.elfz.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Sizes as people write them (1M, 256K) and read them (440.42 MB: decimal units, as disks are sold). */
final class Units {

    private Units() {}

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    /** --chunk-size: a byte count with an optional binary suffix K, M or G (KiB, MB... accepted alike). */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            Matcher m = SIZE.matcher(value.trim());
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a size such as 65536, 256K or 1M");
            }
            int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "k" -> 10;
                case "m" -> 20;
                case "g" -> 30;
                default -> 0;
            };
            try {
                long n = Long.parseLong(m.group(1));
                if (n > Long.MAX_VALUE >> shift) {
                    throw new NumberFormatException();
                }
                return n << shift;
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is too large");
            }
        }
    }

    /** 512 B, 12.35 KB, 440.42 MB, 1.20 GB. */
    static String bytes(long n) {
        if (n < 1000) {
            return n + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB", "PB"};
        double v = n / 1000.0;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    /** 1.2 s, 0.034 s. */
    static String seconds(double s) {
        return String.format(Locale.ROOT, s >= 10 ? "%.0f s" : s >= 1 ? "%.1f s" : "%.3f s", s);
    }

    static double megabytesPerSecond(long bytes, double seconds) {
        return seconds > 0 ? bytes / 1e6 / seconds : 0;
    }

    /** 370 MB/s, 4.2 MB/s. */
    static String speed(long bytes, double seconds) {
        double r = megabytesPerSecond(bytes, seconds);
        return String.format(Locale.ROOT, r >= 10 ? "%.0f MB/s" : "%.1f MB/s", r);
    }

    /** original / stored; 1 when both are 0 (an empty tensor). */
    static double ratio(long original, long stored) {
        return stored == 0 ? 1 : (double) original / stored;
    }
}
