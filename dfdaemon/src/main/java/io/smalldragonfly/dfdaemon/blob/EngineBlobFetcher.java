package io.smalldragonfly.dfdaemon.blob;

import io.smalldragonfly.common.protocol.ServiceDownReport;
import io.smalldragonfly.common.task.UrlFilter;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.EngineConfig;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.engine.SupernodeClient;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.DfgetCli;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import io.smalldragonfly.dfget.peer.PeerProcess;
import io.smalldragonfly.dfget.upload.UploadServer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The P2P path: a {@link BlobFetcher} over the dfget engine, in-process. One {@link DownloadEngine}
 * and one {@link UploadServer} per dfdaemon (its {@code --home}), so this node serves the layers it
 * pulled to other peers.
 *
 * <ul>
 *   <li>A registry blob is one engine download with the registry's own blob URL (before any
 *       redirect), the <b>full digest {@code sha256:<hex>} as the task identifier</b>, the client's
 *       headers (its {@code Authorization}) as source headers, {@code --ratelimit} as the
 *       download's limit and {@code notbs}: dfdaemon falls back to the registry itself.</li>
 *   <li>Its output is {@code <home>/dfdaemon/blobs/<hex>}: one download per blob at a time on this
 *       node, shared by concurrent GETs (each reads its own {@link Download#openStream()}).</li>
 *   <li>Finished blobs are kept and served from disk to later GETs of this node, and (hard links in
 *       {@code <home>/data}) to other peers by the upload server; both copies are dropped after
 *       {@code expireTime} without use (the upload server's own expiry for the served link, a sweep
 *       here for the local file), so disk use is bounded by what was pulled within that window.</li>
 *   <li>A finished blob whose sha256 is not its digest is deleted (with a {@code service/down} to
 *       the supernode), and the digest is refused here for {@code expireTime}, so docker's retry
 *       falls back to the registry instead of getting the same bad bytes from the swarm.</li>
 * </ul>
 */
public final class EngineBlobFetcher implements BlobFetcher, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EngineBlobFetcher.class);

    /**
     * @param nodes      supernodes; the engine orders them per task (docs/cluster.md)
     * @param hostIp     the IP other peers reach the upload server on (null: the address that
     *                   routes to the first supernode)
     * @param rateLimit  bytes/s per blob download, 0 = unlimited
     * @param urlFilter  query keys left out of task URLs (proxy mode)
     * @param expireTime how long an unused finished blob is kept (locally and for peers)
     */
    public record Settings(List<SupernodeAddress> nodes, Path home, String hostIp, long rateLimit,
                           UrlFilter urlFilter, Duration expireTime) {
        public Settings {
            nodes = List.copyOf(nodes);
            urlFilter = urlFilter == null ? UrlFilter.NONE : urlFilter;
            expireTime = expireTime == null ? Duration.ofMinutes(3) : expireTime;
        }

        public static Settings of(List<SupernodeAddress> nodes, Path home) {
            return new Settings(nodes, home, "127.0.0.1", 0, UrlFilter.NONE, Duration.ofMinutes(3));
        }

        public Settings withExpireTime(Duration d) {
            return new Settings(nodes, home, hostIp, rateLimit, urlFilter, d);
        }

        public Settings withRateLimit(long bytesPerSecond) {
            return new Settings(nodes, home, hostIp, bytesPerSecond, urlFilter, expireTime);
        }
    }

    /** One blob on this node: a running or finished download and who is reading it. */
    private static final class Entry {
        final Download download;
        final Path output;
        volatile long lastUsed = System.currentTimeMillis();
        int readers;
        /** Set once the finished file's sha256 was checked: true = good. */
        volatile Boolean verified;

        Entry(Download download, Path output) {
            this.download = download;
            this.output = output;
        }
    }

    private final Settings settings;
    private final UploadServer upload;
    private final DownloadEngine engine;
    private final Path blobs;
    private final Map<Path, Entry> entries = new HashMap<>();
    private final Map<String, Long> refused = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    private final PeerProcess claim;
    private final PeerDownloads peerDownloads;

    private EngineBlobFetcher(Settings settings, UploadServer upload, DownloadEngine engine, Path blobs,
                              PeerProcess claim, PeerDownloads peerDownloads) {
        this.claim = claim;
        this.peerDownloads = peerDownloads;
        this.settings = settings;
        this.upload = upload;
        this.engine = engine;
        this.blobs = blobs;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("dfdaemon-blob-expiry"));
        long every = Math.max(200, Math.min(settings.expireTime().toMillis() / 3, 10_000));
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /** Starts the upload server of {@code settings.home()} and the engine. */
    public static EngineBlobFetcher start(Settings settings) throws IOException {
        if (settings.nodes().isEmpty()) {
            throw new IllegalArgumentException("nodes: none (expected at least one supernode for the P2P path)");
        }
        Path home = settings.home().toAbsolutePath();
        Path blobs = Files.createDirectories(home.resolve("dfdaemon").resolve("blobs"));
        clean(blobs);
        String ip = settings.hostIp() == null || settings.hostIp().isBlank() ? SupernodeAddress.routeIp(settings.nodes())
                : settings.hostIp();
        // peers on other hosts must reach it; a loopback identity only serves this host
        String bind = ip.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
        // dfdaemon is its home's peer process unless one runs already: a dfget with the same --home
        // (in the dfclient image: a plain `dfget`) then downloads through this engine too.
        PeerProcess claim = PeerProcess.claim(home).orElse(null);
        PeerDownloads downloads = claim == null ? null : PeerDownloads.withRandomToken();
        UploadServer upload = UploadServer.start(new UploadServer.Config(home, bind, 0, 0, 16, settings.expireTime()),
                downloads);
        DownloadEngine engine = new DownloadEngine(EngineConfig.of(home, upload.port()).withIp(ip));
        if (claim != null) {
            downloads.open(engine, upload::rateShare, upload::touch, DfgetCli.runnerFor(home, downloads));
            claim.publish(upload.port(), downloads.token());
        }
        log.info("P2P engine: supernodes {}, serving pieces on {}:{}, blobs in {}; {}", settings.nodes(), ip,
                upload.port(), blobs, claim != null ? "the peer process of " + home + " (dfget --home " + home
                        + " downloads through it)" : "another peer process runs for " + home);
        return new EngineBlobFetcher(settings, upload, engine, blobs, claim, downloads);
    }

    /** The upload server's port (tests). */
    public int uploadPort() {
        return upload.port();
    }

    @Override
    public CompletableFuture<BlobStream> fetch(BlobRequest request) {
        String key = request.digest().orElse(null);
        Long until = key == null ? null : refused.get(key);
        if (until != null && until > System.currentTimeMillis()) {
            return CompletableFuture.failedFuture(new IOException("P2P copy of " + key
                    + " did not match its digest recently; not using P2P for it"));
        }
        Entry entry;
        try {
            entry = entryFor(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new IOException("P2P: " + redacted(request, e.getMessage()), e));
        }
        CompletableFuture<BlobStream> out = new CompletableFuture<>();
        entry.download.length().whenComplete((length, error) -> {
            if (error != null) {
                out.completeExceptionally(failure(request, error));
                return;
            }
            try {
                out.complete(open(entry, length));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** The download for this blob: the running or finished one, or a new one. */
    private Entry entryFor(BlobRequest request) {
        Path output = blobs.resolve(request.digest().map(d -> d.substring("sha256:".length()))
                .orElseGet(() -> "url-" + Digests.sha256Hex(settings.urlFilter().apply(request.url().toString())
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        synchronized (entries) {
            Entry e = entries.get(output);
            if (e != null) {
                boolean failed = e.download.result().isCompletedExceptionally();
                boolean gone = e.download.result().isDone() && !failed && !Files.exists(e.output);
                if (!failed && !gone && !Boolean.FALSE.equals(e.verified)) {
                    e.lastUsed = System.currentTimeMillis();
                    e.readers++;
                    return e;
                }
                entries.remove(output);
            }
            DownloadRequest.Builder b = DownloadRequest.builder(request.url().toString(), output)
                    .nodes(settings.nodes())
                    .filter(settings.urlFilter())
                    .localLimit(settings.rateLimit())
                    .notbs(true)
                    .dfdaemon(true)
                    .callSystem("dfdaemon");
            request.identifier().ifPresent(b::identifier);
            request.headers().forEach((name, value) -> b.header(name + ": " + value));
            Download d = engine.start(b.build());
            upload.touch();
            Entry fresh = new Entry(d, output);
            fresh.readers = 1;
            entries.put(output, fresh);
            d.result().whenComplete((r, error) -> finished(fresh, request, r, error));
            return fresh;
        }
    }

    private BlobStream open(Entry entry, long length) {
        InputStream body = entry.download.openStream();
        AtomicBoolean released = new AtomicBoolean();
        return BlobStream.of(length, new FilterInputStream(body) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    if (released.compareAndSet(false, true)) {
                        synchronized (entries) {
                            entry.readers--;
                            entry.lastUsed = System.currentTimeMillis();
                        }
                    }
                }
            }
        });
    }

    private void finished(Entry entry, BlobRequest request, DownloadResult result, Throwable error) {
        String what = BlobRequest.redact(request.url());
        if (error != null) {
            log.info("P2P download of {} failed: {}", what, redacted(request, unwrap(error).getMessage()));
            synchronized (entries) {
                entries.remove(entry.output, entry);
            }
            return;
        }
        if (request.digest().isEmpty()) {
            entry.verified = true;
            return;
        }
        // checked here too (the proxy checks every response): a bad blob must not stay in the swarm
        try {
            MessageDigest sha = Digests.sha256();
            try (InputStream in = Files.newInputStream(entry.output)) {
                byte[] buf = new byte[256 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                }
            }
            String actual = "sha256:" + Digests.hex(sha.digest());
            if (actual.equals(request.digest().get())) {
                entry.verified = true;
                return;
            }
            log.warn("P2P download of {} has digest {}: deleted, and the registry is used for it for {} s",
                    request.digest().get(), actual, settings.expireTime().toSeconds());
            refused.put(request.digest().get(), System.currentTimeMillis() + settings.expireTime().toMillis());
        } catch (IOException e) {
            log.warn("cannot verify {}: {}", entry.output, e.toString());
        }
        entry.verified = false;
        synchronized (entries) {
            entries.remove(entry.output, entry);
        }
        discard(entry.output, entry.download, result);
    }

    /** Deletes a finished blob and what the upload server serves of it. */
    private void discard(Path output, Download d, DownloadResult result) {
        DataDir data = new DataDir(settings.home().toAbsolutePath().resolve("data"));
        try {
            Files.deleteIfExists(output);
            Files.deleteIfExists(data.content(d.taskFileName()));
            Files.deleteIfExists(data.pieces(d.taskFileName()));
            Files.deleteIfExists(data.meta(d.taskFileName()));
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", output, e.toString());
        }
        if (result != null && result.supernode() != null) {
            try {
                new SupernodeClient(SupernodeAddress.parse(result.supernode()))
                        .serviceDown(new ServiceDownReport(d.taskId(), d.cid()));
            } catch (IOException | RuntimeException e) {
                log.info("service/down for {} not delivered: {}", d.taskId(), e.toString());
            }
        }
    }

    /** Drops finished blobs nobody read for {@code expireTime}. */
    void sweep() {
        long cutoff = System.currentTimeMillis() - settings.expireTime().toMillis();
        List<Entry> expired = new ArrayList<>();
        synchronized (entries) {
            entries.values().removeIf(e -> {
                boolean idle = e.readers <= 0 && e.download.result().isDone() && e.lastUsed < cutoff;
                if (idle) {
                    expired.add(e);
                }
                return idle;
            });
        }
        for (Entry e : expired) {
            try {
                Files.deleteIfExists(e.output);
                log.info("expired local blob {}", e.output.getFileName());
            } catch (IOException ex) {
                log.warn("cannot delete {}: {}", e.output, ex.toString());
            }
        }
        refused.values().removeIf(until -> until < System.currentTimeMillis());
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static IOException failure(BlobRequest request, Throwable error) {
        Throwable cause = unwrap(error);
        String kind = cause instanceof DownloadException de ? de.failure().name().toLowerCase(java.util.Locale.ROOT) : "error";
        return new IOException("P2P " + kind + ": " + redacted(request, cause.getMessage()), cause);
    }

    /** A message with the request's URL (which may carry a signed query) replaced by its redacted form. */
    private static String redacted(BlobRequest request, String message) {
        if (message == null) {
            return "";
        }
        String full = request.url().toString();
        return message.replace(full, BlobRequest.redact(request.url()));
    }

    /** Leftovers of an earlier run (finished blobs without a record here) are deleted. */
    private static void clean(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Tells the supernodes this node stops serving, and stops the engine and the upload server. */
    @Override
    public void close() {
        sweeper.shutdownNow();
        if (peerDownloads != null) {
            peerDownloads.close(); // dfget clients' downloads: cancelled, their files kept for a resume
        }
        engine.close();
        upload.serviceDownAll();
        if (claim != null) {
            claim.close();
        }
        upload.close();
    }
}
