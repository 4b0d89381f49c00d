package io.smalldragonfly.dfget;

import io.smalldragonfly.common.util.Sizes;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;

/** picocli converters for sizes ({@code 20M}) and durations ({@code 300}, {@code 90s}, {@code 5m}, {@code 1h}). */
final class Converters {

    private Converters() {}

    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Sizes.parse(value);
        }
    }

    static final class Seconds implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    static Duration parseDuration(String value) {
        String s = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (s.endsWith("ms")) {
            String n = s.substring(0, s.length() - 2);
            return Duration.ofMillis(number(n, value));
        }
        if (s.endsWith("s")) {
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("m")) {
            mult = 60;
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("h")) {
            mult = 3600;
            s = s.substring(0, s.length() - 1);
        }
        return Duration.ofSeconds(number(s, value) * mult);
    }

    private static long number(String s, String original) {
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit) || s.length() > 12) {
            throw new IllegalArgumentException("duration: '" + original
                    + "' (expected seconds, or a number with s, m, h or ms, e.g. 300 or 5m)");
        }
        return Long.parseLong(s);
    }
}
