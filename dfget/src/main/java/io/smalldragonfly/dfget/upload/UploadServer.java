package io.smalldragonfly.dfget.upload;

import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.protocol.ServiceDownReport;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.engine.SupernodeClient;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.store.TaskMeta;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer upload server of one home: serves {@code <home>/data} (see {@link DataDir}) to other
 * peers, expires files not served for {@code expireTime} (telling their supernode
 * {@code service/down}), and reports how long it has been idle so its owner can stop it.
 * Runs in-process (tests, dfdaemon) or as the {@code dfget server} background process.
 */
public final class UploadServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UploadServer.class);

    /**
     * @param rateLimit  upload bytes/s for the whole server, 0 = unlimited
     * @param maxUploads pieces sent at once; more get 503
     */
    public record Config(Path home, String host, int port, long rateLimit, int maxUploads, Duration expireTime) {
        public Config {
            host = host == null ? "0.0.0.0" : host;
            maxUploads = maxUploads <= 0 ? 16 : maxUploads;
            expireTime = expireTime == null ? Duration.ofMinutes(3) : expireTime;
        }

        public static Config of(Path home) {
            return new Config(home, "127.0.0.1", 0, 0, 16, Duration.ofMinutes(3));
        }
    }

    private final Config config;
    private final PieceStore store;
    private final NettyServer server;
    private final AtomicLong activity;
    private final ScheduledExecutorService sweeper;
    private final ControlService control;

    private UploadServer(Config config, PieceStore store, NettyServer server, AtomicLong activity,
                         ScheduledExecutorService sweeper, ControlService control) {
        this.control = control;
        this.config = config;
        this.store = store;
        this.server = server;
        this.activity = activity;
        this.sweeper = sweeper;
    }

    public static UploadServer start(Config config) throws IOException {
        return start(config, null);
    }

    /**
     * Starts a server that also runs the command lines of thin dfget clients ({@code POST
     * /client/run}) when {@code downloads} is given: the home's peer process.
     */
    public static UploadServer start(Config config, PeerDownloads downloads) throws IOException {
        PieceStore store = new PieceStore(new DataDir(config.home().resolve("data")));
        AtomicLong activity = new AtomicLong(System.currentTimeMillis());
        int[] port = {0};
        ControlService control = new ControlService(store, config.home().toAbsolutePath().toString(), () -> port[0]);
        AtomicInteger uploads = new AtomicInteger();
        UploadInitializer init = new UploadInitializer(store, new RateLimiter(config.rateLimit()), uploads,
                config.maxUploads(), control, () -> activity.set(System.currentTimeMillis()), downloads);
        NettyServer server = NettyServer.start("upload", config.host(), config.port(), 0, init);
        port[0] = server.port();
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("upload-expiry"));
        UploadServer s = new UploadServer(config, store, server, activity, sweeper, control);
        long every = Math.max(200, Math.min(config.expireTime().toMillis() / 3, 10_000));
        sweeper.scheduleWithFixedDelay(s::sweepExpired, every, every, TimeUnit.MILLISECONDS);
        return s;
    }

    public int port() {
        return server.port();
    }

    public Path home() {
        return config.home();
    }

    /**
     * When this server last did something useful: a request, or a local download writing pieces
     * into the data directory.
     */
    public long lastActivityMillis() {
        long last = activity.get();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.dataDir().dir(), "*" + DataDir.PIECES)) {
            for (Path p : ds) {
                last = Math.max(last, Files.getLastModifiedTime(p).toMillis());
            }
        } catch (IOException e) {
            log.debug("scan {}: {}", store.dataDir().dir(), e.toString());
        }
        return last;
    }

    /** A download's share of a host-wide rate limit; see {@link ControlService#rateShare(String, long, long)}. */
    public long rateShare(String name, long total, long local) {
        return control.rateShare(name, total, local);
    }

    /** Records outside activity (a local download started). */
    public void touch() {
        activity.set(System.currentTimeMillis());
    }

    /** Deletes files nobody fetched or wrote for {@code expireTime}, telling their supernode service/down. */
    void sweepExpired() {
        long now = System.currentTimeMillis();
        for (String name : servedNames()) {
            try {
                long last = lastTouched(name);
                if (now - last > config.expireTime().toMillis()) {
                    log.info("expiring served file {} (idle {} s)", name, (now - last) / 1000);
                    retire(name);
                }
            } catch (IOException e) {
                log.debug("expiry of {}: {}", name, e.toString());
            }
        }
    }

    private long lastTouched(String name) throws IOException {
        DataDir dd = store.dataDir();
        long last = Files.getLastModifiedTime(dd.meta(name)).toMillis();
        if (Files.exists(dd.pieces(name))) {
            last = Math.max(last, Files.getLastModifiedTime(dd.pieces(name)).toMillis());
        }
        Long served = store.lastServed(name);
        return served == null ? last : Math.max(last, served);
    }

    private List<String> servedNames() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(store.dataDir().dir(), "*" + DataDir.META)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                names.add(f.substring(0, f.length() - DataDir.META.length()));
            }
        } catch (IOException e) {
            log.debug("scan {}: {}", store.dataDir().dir(), e.toString());
        }
        return names;
    }

    private void retire(String name) throws IOException {
        DataDir dd = store.dataDir();
        serviceDown(dd.meta(name));
        store.forget(name);
        Files.deleteIfExists(dd.content(name));
        Files.deleteIfExists(dd.pieces(name));
        Files.deleteIfExists(dd.meta(name));
    }

    private static void serviceDown(Path metaFile) {
        try {
            TaskMeta meta = TaskMeta.read(metaFile);
            if (meta.supernode() != null) {
                new SupernodeClient(SupernodeAddress.parse(meta.supernode()))
                        .serviceDown(new ServiceDownReport(meta.taskId(), meta.cid()));
            }
        } catch (IOException | RuntimeException e) {
            log.info("service/down for {} not delivered: {}", metaFile.getFileName(), e.toString());
        }
    }

    /** Tells the supernodes this peer stops serving all its tasks (an idle exit or a stop). */
    public void serviceDownAll() {
        for (String name : servedNames()) {
            serviceDown(store.dataDir().meta(name));
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        server.close();
    }
}
