package io.smalldragonfly.common.source;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which of a client's headers go on to a source: the one filter for the CDN, dfget and dfdaemon.
 *
 * <p>Dropped: the hop-by-hop headers (RFC 9110 section 7.6.1) and whatever a {@code Connection}
 * header names; the headers that describe the client's own message ({@code Host},
 * {@code Content-Length}, {@code Expect}); and those the source client sets itself from the
 * request it is given ({@code Range}, {@code If-Range}, the {@code If-*} conditions,
 * {@code Accept-Encoding}, since the bytes must arrive as they are at the source). Everything else,
 * {@code Authorization} and cookies included, is forwarded; {@code Authorization} only to the
 * first endpoint ({@link SourceHttpClient}'s redirect rule).
 */
public final class SourceHeaders {

    /** One header line. */
    public record Header(String name, String value) {
        public Header {
            if (!isToken(name) || value == null || value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                throw new IllegalArgumentException("header '" + name + ": " + value
                        + "' (expected a token name and a value without CR, LF or NUL)");
            }
        }
    }

    /**
     * Lowercase names of the headers that belong to one connection only (RFC 9110 section 7.6.1),
     * besides those a message's {@code Connection} header names; dfdaemon's proxy strips the same.
     */
    public static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
            "te", "trailer", "transfer-encoding", "upgrade");

    /** Lowercase names never forwarded. */
    static final Set<String> DROPPED = Stream.of(HOP_BY_HOP, Set.of("http2-settings",
            // the client's own message
            "host", "content-length", "expect",
            // set by the source client from the request
            "range", "if-range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
            "accept-encoding")).flatMap(Set::stream).collect(Collectors.toUnmodifiableSet());

    private SourceHeaders() {}

    /**
     * Parses {@code "Name: value"} lines (dfget's {@code --header}, the supernode's registration).
     *
     * @throws IllegalArgumentException naming the first malformed line
     */
    public static List<Header> parse(List<String> lines) {
        List<Header> out = new ArrayList<>();
        for (String h : lines) {
            int colon = h == null ? -1 : h.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("headers: '" + h + "' (expected \"Name: value\")");
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            try {
                out.add(new Header(name, value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("headers: '" + h + "' (expected \"Name: value\" with a token name)");
            }
        }
        return out;
    }

    /** {@code headers} without the ones a source must not see, in their order. */
    public static List<Header> forwardable(List<Header> headers) {
        Set<String> named = new HashSet<>();
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase("connection")) {
                for (String token : h.value().split(",")) {
                    named.add(token.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        List<Header> out = new ArrayList<>(headers.size());
        for (Header h : headers) {
            String lower = h.name().toLowerCase(Locale.ROOT);
            if (!DROPPED.contains(lower) && !named.contains(lower)) {
                out.add(h);
            }
        }
        return out;
    }

    static boolean isToken(String s) {
        return s != null && !s.isEmpty()
                && s.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0);
    }
}
