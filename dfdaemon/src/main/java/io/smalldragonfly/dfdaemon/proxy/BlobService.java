package io.smalldragonfly.dfdaemon.proxy;

import io.smalldragonfly.common.http.ErrorMapper;
import io.smalldragonfly.dfdaemon.blob.BlobFetcher;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.blob.BlobStream;
import io.smalldragonfly.dfdaemon.blob.P2pBlobFetcher.P2pUnavailableException;
import io.smalldragonfly.dfdaemon.blob.SourceStatusException;
import java.util.concurrent.CompletableFuture;
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

    BlobService(BlobFetcher p2p, BlobFetcher direct, boolean noBackToSource, DfdaemonMetrics metrics) {
        this.p2p = p2p;
        this.direct = direct;
        this.noBackToSource = noBackToSource;
        this.metrics = metrics;
    }

    CompletableFuture<Fetched> fetch(BlobRequest request) {
        return call(p2p, request).handle((stream, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(new Fetched(stream, P2P));
            }
            Throwable cause = ErrorMapper.unwrap(error);
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
