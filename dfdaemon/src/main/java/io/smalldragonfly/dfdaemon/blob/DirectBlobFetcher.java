package io.smalldragonfly.dfdaemon.blob;

import io.smalldragonfly.common.source.SourceHeaders.Header;
import io.smalldragonfly.common.source.SourceHttpClient;
import io.smalldragonfly.common.source.SourceRequest;
import io.smalldragonfly.common.source.SourceResponse;
import io.smalldragonfly.dfdaemon.upstream.HopByHop;
import io.smalldragonfly.dfdaemon.upstream.Upstreams;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Fetches a blob straight from its source (the registry, or an origin in proxy mode): the
 * fallback when P2P fails, and the only path until the dfget engine is plugged in.
 *
 * <p>Goes through the one source client ({@link SourceHttpClient}): redirects (registries send
 * blob GETs to pre-signed storage URLs) with {@code Authorization} only for the original host and
 * port, and the stall rule with {@link #SOURCE_TIMEOUT}. The request blocks until the answer's head
 * is read, on one of the {@code executor}'s threads; the body is read by the proxy's worker
 * straight from the connection, so a slow client slows the source down (TCP) instead of filling
 * the heap.
 */
public final class DirectBlobFetcher implements BlobFetcher {

    /** The longest a source may send nothing (connecting, before its answer, mid-body). */
    static final Duration SOURCE_TIMEOUT = Duration.ofSeconds(60);

    private final SourceHttpClient client;
    private final Executor executor;

    public DirectBlobFetcher(Upstreams upstreams, Executor executor) {
        this.client = SourceHttpClient.builder(SOURCE_TIMEOUT).tls(upstreams::sourceTls).build();
        this.executor = executor;
    }

    @Override
    public CompletableFuture<BlobStream> fetch(BlobRequest request) {
        CompletableFuture<BlobStream> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    result.complete(get(request));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                } catch (IOException e) {
                    result.completeExceptionally(new IOException("fetching " + BlobRequest.redact(request.url())
                            + " failed: " + e.getMessage(), e));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IOException("dfdaemon is stopping", e));
        }
        return result;
    }

    private BlobStream get(BlobRequest request) throws IOException {
        List<Header> headers = new ArrayList<>();
        request.headers().forEach((k, v) -> headers.add(new Header(k, v)));
        headers.add(new Header("Via", HopByHop.VIA));
        SourceResponse r = client.send(SourceRequest.get(request.url(), headers));
        if (r.status() != 200) {
            r.close();
            throw new SourceStatusException(r.status(), BlobRequest.redact(r.uri()),
                    Optional.ofNullable(r.header("www-authenticate")));
        }
        return BlobStream.of(r.contentLength(), r.body());
    }
}
