package io.smalldragonfly.dfdaemon.blob;

import java.util.concurrent.CompletableFuture;

/**
 * The P2P path when there is none: {@link #unavailable} is what dfdaemon runs without
 * {@code --node}; every fetch fails with {@link P2pUnavailableException}, so every blob goes
 * straight to the registry (or fails with {@code --notbs}), and {@code /metrics} counts it as
 * {@code source="direct"}. The P2P path itself is {@link EngineBlobFetcher}.
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
