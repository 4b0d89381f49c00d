package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.common.source.SourceHttpClient;
import io.smalldragonfly.common.source.SourceTls;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.dfget.store.DataDir;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dfget download engine, a library: {@link #start} a {@link DownloadRequest} and get a
 * {@link Download} to wait on or stream from. One engine per peer identity (home, upload port);
 * downloads share its threads and its {@code totalLimit}. No CLI concerns live here: the command
 * line, dfdaemon and tests all drive it the same way.
 *
 * <pre>{@code
 * try (DownloadEngine engine = new DownloadEngine(EngineConfig.of(home, uploadServer.port()))) {
 *     Download d = engine.start(DownloadRequest.builder(url, Path.of("out.bin"))
 *             .node(SupernodeAddress.parse("sn1:8002")).build());
 *     try (InputStream in = d.openStream()) { in.transferTo(client); }   // bytes as they arrive
 *     DownloadResult r = d.await();                                        // or d.result()
 * }
 * }</pre>
 */
public final class DownloadEngine implements AutoCloseable {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final EngineConfig config;
    private final RateLimiter totalLimiter;
    private final ExecutorService executor;
    private final DataDir dataDir;
    private final java.util.concurrent.ConcurrentMap<SupernodeAddress, java.net.InetSocketAddress> cdnLocations =
            new java.util.concurrent.ConcurrentHashMap<>();

    public DownloadEngine(EngineConfig config) {
        this.config = config;
        this.totalLimiter = new RateLimiter(config.totalLimit());
        this.dataDir = new DataDir(config.dataDir());
        this.executor = Executors.newCachedThreadPool(DaemonThreads.numbered("dfget"));
    }

    public EngineConfig config() {
        return config;
    }

    RateLimiter totalLimiter() {
        return totalLimiter;
    }

    ExecutorService executor() {
        return executor;
    }

    DataDir dataDir() {
        return dataDir;
    }

    /** Where {@code supernode}'s CDN serves pieces, as its last assignment said; null while unknown. */
    java.net.InetSocketAddress cdnLocation(SupernodeAddress supernode) {
        return cdnLocations.get(supernode);
    }

    void cdnLocation(SupernodeAddress supernode, String ip, int port) {
        cdnLocations.put(supernode, java.net.InetSocketAddress.createUnresolved(ip, port));
    }

    /**
     * Starts a download in the background.
     *
     * @throws IllegalArgumentException when the output cannot be written (missing or read-only
     *     directory, output is a directory), or a TLS option is unusable
     */
    public Download start(DownloadRequest request) {
        SourceHttpClient sourceHttp;
        try {
            SourceHttpClient.Builder b = SourceHttpClient.builder(request.sourceTimeout())
                    .timeoutOption("--source-timeout").userAgent(Http.USER_AGENT);
            // Without a TLS option the builder's default sets up the JVM's trust on the first https
            // source only: most downloads never go to the source, and JSSE's start costs a fresh JVM.
            if (request.insecure()) {
                b.tls(SourceTls.insecure());
            } else if (!request.cacerts().isEmpty()) {
                b.tls(SourceTls.withExtraCas(request.cacerts(), "--cacerts"));
            }
            sourceHttp = b.build();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        long pid = ProcessHandle.current().pid();
        int seq = SEQUENCE.incrementAndGet();
        String stamp = String.format(java.util.Locale.ROOT, "%.3f", System.currentTimeMillis() / 1000.0);
        String suffix = pid + "-" + stamp + (seq > 1 ? "-" + seq : "");
        String cid = peerIp(request) + "-" + suffix;
        String name = DataDir.sanitize(String.valueOf(request.output().getFileName())) + "-" + suffix;
        Download d = new Download(this, request, cid, name, sourceHttp);
        executor.execute(d::run);
        return d;
    }

    /** The address other peers reach {@code request}'s pieces at. */
    String peerIp(DownloadRequest request) {
        return request.peerIp() != null ? request.peerIp() : config.ip();
    }

    /** Downloads and waits. */
    public DownloadResult download(DownloadRequest request) throws DownloadException, InterruptedException {
        return start(request).await();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

}
