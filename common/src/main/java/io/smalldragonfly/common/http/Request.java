package io.smalldragonfly.common.http;

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
