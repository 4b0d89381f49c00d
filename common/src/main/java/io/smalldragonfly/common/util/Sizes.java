package io.smalldragonfly.common.util;

import java.util.Locale;

/** Byte sizes as users write them: {@code 20M}, {@code 1G}, {@code 512K}, {@code 1000M}, {@code 4096}. */
public final class Sizes {

    private static final long MAX = Long.MAX_VALUE;

    private Sizes() {}

    /**
     * Parses a size with an optional binary unit suffix (K, M, G, T; an optional trailing B or iB is
     * accepted, as is a lowercase unit). The original dfget reads {@code 20M} as 20 MiB.
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("size: missing (expected a number with an optional K, M, G or T suffix, e.g. 20M)");
        }
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        long multiplier = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> multiplier = 1L << 10;
                case 'M' -> multiplier = 1L << 20;
                case 'G' -> multiplier = 1L << 30;
                case 'T' -> multiplier = 1L << 40;
                default -> multiplier = 1;
            }
            if (multiplier != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("size: '" + text
                    + "' (expected a non-negative number with an optional K, M, G or T suffix, e.g. 20M)");
        }
        try {
            long n = Long.parseLong(s);
            if (n > MAX / multiplier) {
                throw new NumberFormatException();
            }
            return n * multiplier;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size: '" + text + "' is too large (expected at most 8E)");
        }
    }

    /** A human form, {@code 1.5 MiB}. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
