package io.smalldragonfly.dfdaemon.testing;

import io.smalldragonfly.dfdaemon.blob.BlobFetcher;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.blob.BlobStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test double in the P2P slot: records every request and answers as the test says: bytes it
 * is given (right or wrong), a failure as of a dead supernode, or the direct fetcher's stream.
 */
public final class SwitchableFetcher implements BlobFetcher {

    public final List<BlobRequest> requests = new CopyOnWriteArrayList<>();
    private volatile BlobFetcher behaviour = r -> CompletableFuture.failedFuture(new IOException("supernode down"));

    public void answer(BlobFetcher b) {
        behaviour = b;
    }

    public void serve(byte[] bytes, boolean announceLength) {
        behaviour = r -> CompletableFuture.completedFuture(
                BlobStream.of(announceLength ? bytes.length : -1, new ByteArrayInputStream(bytes)));
    }

    public void failWith(Throwable t) {
        behaviour = r -> CompletableFuture.failedFuture(t);
    }

    @Override
    public CompletableFuture<BlobStream> fetch(BlobRequest request) {
        requests.add(request);
        return behaviour.fetch(request);
    }
}
