package io.smalldragonfly.common.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.smalldragonfly.common.BadInputException;
import io.smalldragonfly.common.protocol.QueryParams;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP request as plain data, so services behind the Netty edge are tested without sockets.
 *
 * @param path    the decoded path without the query
 * @param headers header names in lowercase
 */
public record Request(String method, String path, QueryParams query, Map<String, String> headers,
                      byte[] body, String remoteAddress) {

    public Request {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    /** A request built from a URI with its query, as tests and in-process callers write them. */
    public static Request of(String method, String uri, Map<String, String> headers, byte[] body) {
        int q = uri.indexOf('?');
        Map<String, String> lower = new java.util.HashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        return new Request(method, q < 0 ? uri : uri.substring(0, q), QueryParams.parse(q < 0 ? "" : uri.substring(q)),
                lower, body, "127.0.0.1");
    }

    /**
     * The decoded path of a request target (without its query), for every server's handler.
     * Netty's decoder throws a bare IllegalArgumentException on a bad escape ({@code %ZZ},
     * {@code %u002e}, a lone {@code %}); that is the client's mistake, so it becomes a
     * {@link BadInputException}, as does a NUL or other control byte, which no path of ours holds.
     */
    public static String decodePath(String uri) {
        String path;
        try {
            path = new QueryStringDecoder(uri).path();
        } catch (IllegalArgumentException e) {
            throw new BadInputException("path: '" + printable(uri) + "' has a malformed percent-escape"
                    + " (expected %XX with two hex digits, UTF-8)", e);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new BadInputException("path: '" + printable(uri) + "' holds a control character"
                        + " (expected printable characters)");
            }
        }
        return path;
    }

    /** The target as it may be quoted back: short, without the query, control bytes escaped. */
    private static String printable(String uri) {
        int q = uri.indexOf('?');
        String p = q < 0 ? uri : uri.substring(0, q);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.length() && sb.length() < 200; i++) {
            char c = p.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }

    public static Request get(String uri) {
        return of("GET", uri, Map.of(), null);
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
