package io.smalldragonfly.common.source;

import io.smalldragonfly.common.source.SourceHeaders.Header;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * One request to a source: GET or HEAD, the client's headers (filtered by {@link SourceHeaders}
 * before sending), optionally a byte range and validators for a conditional request.
 *
 * @param rangeFirst first byte wanted, -1 for the whole file
 * @param rangeLast  last byte wanted (inclusive), -1 for "to the end"
 */
public record SourceRequest(String method, URI uri, List<Header> headers, long rangeFirst, long rangeLast,
                            String ifNoneMatch, String ifModifiedSince) {

    public SourceRequest {
        Objects.requireNonNull(uri, "uri");
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new IllegalArgumentException("method: " + method + " (expected GET or HEAD)");
        }
        headers = List.copyOf(headers);
        if (rangeFirst < -1 || rangeLast < -1 || rangeFirst < 0 && rangeLast >= 0
                || rangeLast >= 0 && rangeLast < rangeFirst) {
            throw new IllegalArgumentException("range: " + rangeFirst + "-" + rangeLast
                    + " (expected first >= 0 and last >= first, or last -1)");
        }
    }

    public static SourceRequest get(URI uri, List<Header> headers) {
        return new SourceRequest("GET", uri, headers, -1, -1, null, null);
    }

    public static SourceRequest head(URI uri, List<Header> headers) {
        return new SourceRequest("HEAD", uri, headers, -1, -1, null, null);
    }

    /** The same request for bytes {@code first..last} ({@code last} -1: to the end). */
    public SourceRequest range(long first, long last) {
        return new SourceRequest(method, uri, headers, first, last, ifNoneMatch, ifModifiedSince);
    }

    /** The same request, conditional on the cached validators (either may be null). */
    public SourceRequest ifChanged(String etag, String lastModified) {
        return new SourceRequest(method, uri, headers, rangeFirst, rangeLast, etag, lastModified);
    }

    boolean ranged() {
        return rangeFirst >= 0;
    }

    String rangeHeader() {
        return "bytes=" + rangeFirst + "-" + (rangeLast < 0 ? "" : Long.toString(rangeLast));
    }
}
