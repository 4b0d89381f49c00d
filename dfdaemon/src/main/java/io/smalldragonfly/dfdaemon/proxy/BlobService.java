package io.smalldragonfly.dfdaemon.proxy;

import io.smalldragonfly.common.http.ErrorMapper;
import io.smalldragonfly.dfdaemon.blob.BlobFetcher;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.blob.BlobStream;
import io.smalldragonfly.dfdaemon.blob.P2pBlobFetcher.P2pUnavailableException;
import io.smalldragonfly.dfdaemon.blob.SourceStatusException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * P2P first, then the registry: a blob is asked of the P2P fetcher, and when that fails before
 * the first byte (no supernode, task failed) of the direct fetcher, unless {@code --notbs}. A
 * failure after bytes went out cannot be retried here; the proxy aborts the response and docker
 * retries the layer.
 */
final class BlobService {

    private static final Logger log = LoggerFactory.getLogger(BlobService.class);

    static final String P2P = "p2p";
    static final String DIRECT = "direct";

    /** A started blob and where its bytes come from ({@link #P2P} or {@link #DIRECT}). */
    record Fetched(BlobStream stream, String source) {}

    private final BlobFetcher p2p;
    private final BlobFetcher direct;
    private final boolean noBackToSource;
    private final DfdaemonMetrics metrics;
    private final Duration p2pStartTimeout;

    BlobService(BlobFetcher p2p, BlobFetcher direct, boolean noBackToSource, DfdaemonMetrics metrics,
                Duration p2pStartTimeout) {
        this.p2p = p2p;
        this.direct = direct;
        this.noBackToSource = noBackToSource;
        this.metrics = metrics;
        this.p2pStartTimeout = p2pStartTimeout;
    }

    CompletableFuture<Fetched> fetch(BlobRequest request) {
        CompletableFuture<BlobStream> started = call(p2p, request);
        // a hung P2P path (supernode black-holed, task stuck) must not hang the pull: give up on it
        // after the timeout, and close a stream that shows up after we stopped waiting
        CompletableFuture<BlobStream> bounded = started.copy()
                .orTimeout(p2pStartTimeout.toMillis(), TimeUnit.MILLISECONDS);
        started.whenComplete((late, e) -> {
            if (late != null && bounded.isCompletedExceptionally()) {
                try {
                    late.close();
                } catch (IOException | RuntimeException closing) {
                    log.debug("closing a late P2P stream: {}", closing.toString());
                }
            }
        });
        return bounded.handle((stream, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(new Fetched(stream, P2P));
            }
            Throwable cause = ErrorMapper.unwrap(error);
            if (cause instanceof TimeoutException) {
                cause = new IOException("P2P did not start the blob within " + p2pStartTimeout.toSeconds() + " s", cause);
            }
            if (noBackToSource) {
                log.warn("blob {}: P2P failed ({}) and --notbs forbids the registry", describe(request), cause.getMessage());
                return CompletableFuture.<Fetched>failedFuture(cause);
            }
            if (cause instanceof SourceStatusException) {
                // the registry itself refused (401, 404): asking it again directly gives the same answer
                return CompletableFuture.<Fetched>failedFuture(cause);
            }
            if (cause instanceof P2pUnavailableException) {
                log.debug("blob {}: P2P unavailable ({}), fetching from the registry", describe(request), cause.getMessage());
            } else {
                log.warn("blob {}: P2P failed ({}), fetching from the registry", describe(request), cause.getMessage());
            }
            metrics.fallback();
            return call(direct, request).thenApply(s -> new Fetched(s, DIRECT));
        }).thenCompose(f -> f);
    }

    private static CompletableFuture<BlobStream> call(BlobFetcher fetcher, BlobRequest request) {
        try {
            CompletableFuture<BlobStream> f = fetcher.fetch(request);
            return f != null ? f : CompletableFuture.failedFuture(new IllegalStateException("fetcher returned null"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    static String describe(BlobRequest r) {
        return r.digest().orElseGet(() -> BlobRequest.redact(r.url()));
    }
}
