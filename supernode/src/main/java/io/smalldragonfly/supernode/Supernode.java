package io.smalldragonfly.supernode;

import io.smalldragonfly.common.http.ApiServerInitializer;
import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.supernode.api.ApiService;
import io.smalldragonfly.supernode.api.DownloadServerInitializer;
import io.smalldragonfly.supernode.cdn.CdnManager;
import io.smalldragonfly.supernode.metrics.SupernodeMetrics;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import io.smalldragonfly.supernode.task.TaskManager;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running supernode: the API server, the CDN's piece server, the scheduler, the CDN and their
 * housekeeping. Embeddable: other modules' tests start one in-process with
 * {@code Supernode.start(SupernodeConfig.forTest(tmp))} and point clients at
 * {@code 127.0.0.1:}{@link #apiPort()}.
 */
public final class Supernode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Supernode.class);

    private final SupernodeConfig config;
    private final Scheduler scheduler;
    private final CdnManager cdn;
    private final TaskManager tasks;
    private final SupernodeMetrics metrics;
    private final NettyServer downloadServer;
    private final NettyServer apiServer;
    private final ScheduledExecutorService housekeeping;

    private Supernode(SupernodeConfig config) {
        this.config = config;
        AtomicReference<Scheduler> schedulerRef = new AtomicReference<>();
        this.metrics = new SupernodeMetrics(
                () -> schedulerRef.get() == null ? 0 : schedulerRef.get().taskCount(),
                () -> schedulerRef.get() == null ? 0 : schedulerRef.get().peerCount());
        LongSupplier clock = System::nanoTime; // the scheduler's and the CDN's: one clock
        this.scheduler = new Scheduler(config, config.downloadPort(), clock, metrics);
        schedulerRef.set(scheduler);
        metrics.taskPeers(scheduler::peersByTask);
        this.cdn = new CdnManager(config, scheduler, clock, metrics);
        this.tasks = new TaskManager(cdn, scheduler);
        NettyServer download = null;
        NettyServer api = null;
        try {
            download = NettyServer.start("supernode-download", config.bindHost(), config.downloadPort(), 0,
                    new DownloadServerInitializer(cdn, new RateLimiter(config.cdnUploadRate()), 120));
            // The CDN is advertised with the port actually bound (it may be ephemeral).
            scheduler.setCdnPort(download.port());
            api = NettyServer.start("supernode-api", config.bindHost(), config.apiPort(), 0,
                    new ApiServerInitializer(new ApiService(tasks, scheduler, cdn, metrics, config.waitTimeout()), 120));
        } catch (RuntimeException e) {
            if (download != null) {
                download.close();
            }
            cdn.close();
            throw e;
        }
        this.downloadServer = download;
        this.apiServer = api;
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("supernode-housekeeping"));
        housekeeping.scheduleWithFixedDelay(this::expire, 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(this::collectGarbage, 30, 30, TimeUnit.SECONDS);
    }

    /** Binds both ports and starts serving; fails with {@link IllegalStateException} when a port is taken. */
    public static Supernode start(SupernodeConfig config) {
        Supernode s = new Supernode(config);
        log.info("supernode up: api {}:{}, pieces {}:{} advertised as {}, cache {}", config.bindHost(), s.apiPort(),
                config.bindHost(), s.downloadPort(), config.advertiseIp(), config.cacheDir());
        return s;
    }

    private void expire() {
        try {
            scheduler.expireInFlight(config.pieceTimeout());
        } catch (RuntimeException e) {
            log.warn("housekeeping: {}", e.toString());
        }
    }

    private void collectGarbage() {
        try {
            cdn.collectGarbage();
            tasks.sweep();
        } catch (RuntimeException e) {
            log.warn("cache gc: {}", e.toString());
        }
    }

    public int apiPort() {
        return apiServer.port();
    }

    public int downloadPort() {
        return downloadServer.port();
    }

    public SupernodeConfig config() {
        return config;
    }

    /** The metrics, for tests and benchmarks that read counters without scraping. */
    public SupernodeMetrics metrics() {
        return metrics;
    }

    /** The CDN, for tests that check the cache or run its garbage collection now. */
    public CdnManager cdn() {
        return cdn;
    }

    /** Stops accepting, finishes in-flight responses briefly, stops fetches. Idempotent enough for a shutdown hook. */
    @Override
    public synchronized void close() {
        if (housekeeping.isShutdown()) {
            return;
        }
        housekeeping.shutdownNow();
        apiServer.close();
        downloadServer.close();
        cdn.close();
        log.info("supernode stopped");
    }
}
