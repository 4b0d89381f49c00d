package io.smalldragonfly.common.http;

/**
 * One resolved byte range of a resource, inclusive, from a {@code Range: bytes=...} header.
 * Only single ranges are served: piece transfers never ask for more, and multipart answers would
 * break zero-copy sends.
 */
public record ByteRange(long start, long end) {

    public ByteRange {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("byte range " + start + "-" + end + " (expected 0 <= start <= end)");
        }
    }

    public long length() {
        return end - start + 1;
    }

    /** The {@code Content-Range} value of this range within a resource of {@code total} bytes. */
    public String contentRange(long total) {
        return "bytes " + start + "-" + end + "/" + total;
    }

    /**
     * Resolves a {@code Range} header against a resource of {@code length} bytes: {@code bytes=a-b},
     * {@code bytes=a-} and {@code bytes=-n}; an end past the resource is clipped, as RFC 9110 says.
     *
     * @throws HttpStatusException 400 for a malformed header or several ranges
     * @throws RangeNotSatisfiableException when the range starts at or past the end
     */
    public static ByteRange parse(String header, long length) {
        if (header == null) {
            throw HttpStatusException.badRequest("Range: missing (expected bytes=start-end)");
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            throw HttpStatusException.badRequest("Range: '" + header + "' (expected bytes=start-end)");
        }
        String spec = h.substring(6).trim();
        if (spec.indexOf(',') >= 0) {
            throw HttpStatusException.badRequest("Range: '" + header + "' (expected a single range, not several)");
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            throw HttpStatusException.badRequest("Range: '" + header + "' (expected bytes=start-end)");
        }
        String first = spec.substring(0, dash).trim();
        String last = spec.substring(dash + 1).trim();
        if (first.isEmpty()) {
            long suffix = number(last, header);
            if (suffix == 0) {
                throw new RangeNotSatisfiableException("Range: '" + header + "' asks for no bytes", length);
            }
            if (length == 0) {
                throw new RangeNotSatisfiableException("Range: '" + header + "' of an empty resource", length);
            }
            return new ByteRange(Math.max(0, length - suffix), length - 1);
        }
        long start = number(first, header);
        long end = last.isEmpty() ? Long.MAX_VALUE : number(last, header);
        if (end < start) {
            throw HttpStatusException.badRequest("Range: '" + header + "' ends before it starts (expected start <= end)");
        }
        if (start >= length) {
            throw new RangeNotSatisfiableException("Range: '" + header + "' starts at or past the end ("
                    + length + " bytes)", length);
        }
        return new ByteRange(start, Math.min(end, length - 1));
    }

    private static long number(String s, String header) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw HttpStatusException.badRequest("Range: '" + header + "' (expected non-negative integers)");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw HttpStatusException.badRequest("Range: '" + header + "' overflows (expected positions below 2^63)");
        }
    }
}
