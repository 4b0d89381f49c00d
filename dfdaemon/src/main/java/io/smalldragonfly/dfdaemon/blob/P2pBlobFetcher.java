package io.smalldragonfly.dfdaemon.blob;

import java.util.concurrent.CompletableFuture;

/**
 * The slot for the dfget engine: the {@link BlobFetcher} used for P2P blobs.
 *
 * <p><b>Not implemented in this build.</b> The in-process dfget engine (register with a supernode,
 * fetch pieces from peers and the CDN, serve them from the upload server) is built separately;
 * until it is plugged in here, {@link #unavailable} fails every fetch with
 * {@link P2pUnavailableException}, so every blob goes straight to the registry (or fails with
 * {@code --notbs}), and {@code /metrics} counts it as {@code source="direct"}. Nothing here
 * pretends to be P2P.
 *
 * <p>To plug the engine in: implement {@link BlobFetcher} over it (task id from
 * {@link BlobRequest#url()} filtered by {@code --urlfilter} plus {@link BlobRequest#identifier()},
 * source headers from {@link BlobRequest#headers()}, a {@link BlobStream} that reads the pieces
 * in order as they land) and return it from {@code DfdaemonCommand}'s P2P factory.
 */
public final class P2pBlobFetcher {

    private P2pBlobFetcher() {}

    /** A fetcher that always fails with {@code reason}: the placeholder until the engine lands. */
    public static BlobFetcher unavailable(String reason) {
        return request -> CompletableFuture.failedFuture(new P2pUnavailableException(reason));
    }

    /** The P2P path cannot serve blobs at all (no engine, no supernode): fall back quietly. */
    public static final class P2pUnavailableException extends RuntimeException {
        public P2pUnavailableException(String message) {
            super(message, null, false, false);
        }
    }
}
