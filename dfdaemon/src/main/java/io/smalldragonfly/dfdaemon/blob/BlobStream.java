package io.smalldragonfly.dfdaemon.blob;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;

/**
 * A blob's bytes as they arrive, in order.
 *
 * @param contentLength the blob's size if known before the first byte (the proxy then answers
 *                      with {@code Content-Length}, otherwise chunked)
 * @param body          read on a proxy worker thread; {@code read} blocks until bytes arrive,
 *                      returns -1 at the end and throws {@link IOException} when the transfer
 *                      fails; {@code close} cancels the transfer
 */
public record BlobStream(OptionalLong contentLength, InputStream body) implements Closeable {

    public BlobStream {
        java.util.Objects.requireNonNull(body, "body");
        if (contentLength.isPresent() && contentLength.getAsLong() < 0) {
            throw new IllegalArgumentException("contentLength: " + contentLength.getAsLong() + " (expected >= 0)");
        }
    }

    public static BlobStream of(long contentLength, InputStream body) {
        return new BlobStream(contentLength < 0 ? OptionalLong.empty() : OptionalLong.of(contentLength), body);
    }

    @Override
    public void close() throws IOException {
        body.close();
    }
}
