package io.smalldragonfly.common.util;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them in flags and config: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 3h}, {@code 1d}, or plain seconds. */
public final class Durations {

    private static final Pattern FORM = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)?");

    private Durations() {}

    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("duration: '" + text
                    + "' (expected a duration such as 500ms, 90s, 5m, 3h, 1d, or plain seconds)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }
}
