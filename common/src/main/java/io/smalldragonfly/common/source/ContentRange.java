package io.smalldragonfly.common.source;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Content-Range} answer header: {@code bytes first-last/total}, {@code bytes first-last/*}
 * (total unknown: -1), or {@code bytes *}{@code /total} of a 416 (first and last -1).
 */
public record ContentRange(long first, long last, long total) {

    private static final Pattern FORM = Pattern.compile("bytes\\s+(?:(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)|\\*/(\\d{1,18}))");

    /** @return null when {@code value} is absent or not one of the three forms, or names no bytes */
    public static ContentRange parse(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = FORM.matcher(value.trim());
        if (!m.matches()) {
            return null;
        }
        if (m.group(4) != null) {
            return new ContentRange(-1, -1, Long.parseLong(m.group(4)));
        }
        long first = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        if (last < first || total >= 0 && last >= total) {
            return null;
        }
        return new ContentRange(first, last, total);
    }

    public boolean unsatisfied() {
        return first < 0;
    }

    public long length() {
        return unsatisfied() ? 0 : last - first + 1;
    }

    @Override
    public String toString() {
        return unsatisfied() ? "bytes */" + total : "bytes " + first + "-" + last + "/" + (total < 0 ? "*" : total);
    }
}
