package io.smalldragonfly.common.source;

import io.netty.handler.codec.http.HttpHeaders;
import java.io.Closeable;
import java.io.InputStream;
import java.net.URI;

/**
 * A source's answer after redirects: its status and headers, and its body as a blocking stream
 * read straight from the connection (de-chunked when chunked). Closing it closes the connection,
 * which also wakes a reader blocked in the body.
 *
 * @param uri           where the answer came from (the last redirect's target)
 * @param contentLength the body's length, -1 when unknown (chunked, or until the connection ends)
 * @param contentRange  the parsed {@code Content-Range} of a 206 or 416, else null
 */
public record SourceResponse(URI uri, int status, HttpHeaders headers, long contentLength,
                             ContentRange contentRange, InputStream body) implements Closeable {

    /** The first value of header {@code name} (any case), or null. */
    public String header(String name) {
        return headers.get(name);
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (java.io.IOException ignored) {
            // closing aborts the connection; nothing to recover
        }
    }
}
