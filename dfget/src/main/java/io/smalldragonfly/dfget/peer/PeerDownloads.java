package io.smalldragonfly.dfget.peer;

import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The downloads a host's peer process runs for its thin clients: one {@link DownloadEngine} (warm
 * JIT, shared threads and limits) for every {@code dfget} of the home. Each order carries the host-wide
 * {@code --totallimit} it was given; the downloads that name one share it, as separate dfget
 * processes did through the upload server's {@code /rate} path (the same split, see
 * {@link RateShare}).
 */
public final class PeerDownloads implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerDownloads.class);

    /** How long a new order for an output waits for a cancelled download of the same output to let go. */
    static final long PREDECESSOR_WAIT_MILLIS = 10_000;
    static final long GONE_CLIENT_GRACE_MILLIS = 1_000;

    /** Splits {@code total} bytes/s among the downloads asking under {@code name}, capped by {@code local}. */
    public interface RateShare {
        long share(String name, long total, long local);
    }

    private final String token;
    private final Map<Path, Running> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("peer-downloads"));
    /** The command lines of thin clients (each blocks until its download ends); see {@link RunHandler}. */
    private final ExecutorService commands = Executors.newCachedThreadPool(DaemonThreads.named("dfget-cli"));
    private volatile DownloadEngine engine;
    private volatile PeerCli.Runner runner;
    private volatile RateShare rateShare;
    private volatile Runnable onActivity = () -> { };

    private record Running(Download download, DownloadOrder order) {}

    /** With a new random token (128 bits, hex), as a peer process publishes in its state file. */
    public static PeerDownloads withRandomToken() {
        byte[] b = new byte[16];
        new java.security.SecureRandom().nextBytes(b);
        return new PeerDownloads(java.util.HexFormat.of().formatHex(b));
    }

    /** @param token what a client must present ({@link PeerCli#TOKEN_HEADER}) to run a command */
    public PeerDownloads(String token) {
        this.token = token;
    }

    /**
     * Starts taking orders, once the upload server listens (the engine registers with its port).
     *
     * @param onActivity called while downloads run, so the idle exit waits for them
     * @param runner     runs the command lines of thin clients (they order their downloads through
     *                   {@link #start})
     */
    public void open(DownloadEngine engine, RateShare rateShare, Runnable onActivity, PeerCli.Runner runner) {
        this.rateShare = rateShare;
        this.onActivity = onActivity;
        this.engine = engine;
        this.runner = runner;
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    public String token() {
        return token;
    }

    /** Null until {@link #open}. */
    PeerCli.Runner runner() {
        return runner;
    }

    ExecutorService commands() {
        return commands;
    }

    /** Downloads running now. */
    public int active() {
        return running.size();
    }

    /**
     * Starts {@code order}. Completes with the running download, or exceptionally with an
     * {@link IllegalArgumentException} (the order is unusable: the client's usage error) or an
     * {@link IllegalStateException} (another client is downloading to the same output).
     */
    public CompletableFuture<Download> start(DownloadOrder order) {
        DownloadRequest request;
        try {
            request = order.toRequest();
            if (order.totalLimit() < 0) {
                throw new IllegalArgumentException("totalLimit: " + order.totalLimit() + " (expected bytes/s >= 0)");
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Path output = request.output().toAbsolutePath().normalize();
        return start(output, order, request, true);
    }

    private CompletableFuture<Download> start(Path output, DownloadOrder order, DownloadRequest request,
                                              boolean mayWait) {
        Running before = running.get(output);
        if (before == null) {
            // not on the caller's thread: it is an event loop, and starting touches files and trust stores
            return CompletableFuture.supplyAsync(() -> launch(output, order, request), ticker);
        }
        if (before.download().cancelled()) {
            // The previous client went away (Ctrl-C, kill) a moment ago: its download is closing
            // its files, which this one resumes from.
            return before.download().result().handle((r, e) -> (Void) null)
                    .orTimeout(PREDECESSOR_WAIT_MILLIS, TimeUnit.MILLISECONDS)
                    .handle((v, e) -> launch(output, order, request));
        }
        if (mayWait) {
            // A client killed a moment ago may not have been noticed yet (its connection's close is
            // still on its way through the event loop): look once more before refusing.
            return CompletableFuture.supplyAsync(() -> null,
                    CompletableFuture.delayedExecutor(GONE_CLIENT_GRACE_MILLIS, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> start(output, order, request, false));
        }
        return CompletableFuture.failedFuture(new IllegalStateException("output: another dfget is downloading to "
                + output + " (expected one download per output at a time)"));
    }

    private Download launch(Path output, DownloadOrder order, DownloadRequest request) {
        DownloadEngine e = engine;
        if (e == null) {
            throw new IllegalStateException("the peer process is still starting");
        }
        Download d = e.start(request);
        Running r = new Running(d, order);
        running.put(output, r);
        onActivity.run();
        d.result().whenComplete((res, err) -> {
            running.remove(output, r);
            onActivity.run();
        });
        applyRateShare(r);
        return d;
    }

    private void tick() {
        if (!running.isEmpty()) {
            onActivity.run();
        }
        running.values().forEach(this::applyRateShare);
    }

    private void applyRateShare(Running r) {
        long total = r.order().totalLimit();
        if (total > 0 && rateShare != null) {
            r.download().rateLimit(rateShare.share(r.download().taskFileName(), total, r.order().localLimit()));
        }
    }

    /** Cancels every running download (their files stay for a resume) and waits a little for them. */
    @Override
    public void close() {
        ticker.shutdownNow();
        commands.shutdown();
        for (Running r : running.values()) {
            r.download().cancel();
        }
        for (Running r : running.values()) {
            try {
                r.download().result().handle((x, e) -> null).get(3, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("download of {} did not stop in time: {}", r.order().url(), e.toString());
            }
        }
        DownloadEngine e = engine;
        if (e != null) {
            e.close();
        }
    }
}
