package io.smalldragonfly.dfdaemon.proxy;

import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.dfdaemon.blob.BlobFetcher;
import io.smalldragonfly.dfdaemon.blob.DirectBlobFetcher;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.upstream.Upstreams;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * dfdaemon's proxy server: one {@link NettyServer} with the {@link ProxyInitializer}, and the
 * worker threads that stream blobs (and wait for the {@link DirectBlobFetcher}'s answers).
 * Entry point for {@code DfdaemonCommand} and for tests, which pass their own P2P fetcher.
 */
public final class DfdaemonServer implements AutoCloseable {

    static final int IDLE_SECONDS = 300;

    private final NettyServer server;
    private final ExecutorService blobWorkers;
    private final DfdaemonMetrics metrics;

    private DfdaemonServer(NettyServer server, ExecutorService blobWorkers, DfdaemonMetrics metrics) {
        this.server = server;
        this.blobWorkers = blobWorkers;
        this.metrics = metrics;
    }

    /**
     * Starts serving {@code config} with {@code p2p} as the P2P path (given the direct fetcher, so
     * tests can wrap it); the direct fetcher is the fallback.
     */
    public static DfdaemonServer start(DfdaemonConfig config, Function<BlobFetcher, BlobFetcher> p2p) {
        DfdaemonMetrics metrics = new DfdaemonMetrics();
        Upstreams upstreams = new Upstreams(config);
        // one thread per blob being streamed (docker pulls 3 layers at once per image); each blocks
        // in its stream's read, so a bounded pool would stall pulls behind slow ones
        ExecutorService blobWorkers = Executors.newCachedThreadPool(DaemonThreads.named("dfdaemon-blob"));
        DirectBlobFetcher direct = new DirectBlobFetcher(upstreams, blobWorkers);
        BlobService blobs = new BlobService(p2p.apply(direct), direct, config.noBackToSource(), metrics,
                config.p2pStartTimeout());
        ProxyServices services = new ProxyServices(new Router(config), new UpstreamRelay(upstreams, metrics),
                new BlobResponder(blobs, blobWorkers, metrics, config.rateLimit()), upstreams, metrics);
        try {
            NettyServer server = NettyServer.start("dfdaemon", config.bindHost(), config.port(), 0,
                    new ProxyInitializer(services, IDLE_SECONDS));
            return new DfdaemonServer(server, blobWorkers, metrics);
        } catch (RuntimeException e) {
            blobWorkers.shutdownNow();
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    public DfdaemonMetrics metrics() {
        return metrics;
    }

    @Override
    public void close() {
        server.close();
        blobWorkers.shutdownNow();
    }
}
