package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.source.SourceHttpClient;
import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.common.util.RateLimiter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the phases of one download share: the request and its ids, the work files and what is on
 * them ({@link ContentTracker}), the byte counters, the rate limiter and piece fetcher, the clock
 * (start, deadline), the supernode that took the task, the whole-file digest, and the
 * {@link DownloadPhase}. {@link Download} is the handle users hold; {@link P2pSession},
 * {@link SourceSession} and the verification in {@link Download} work on this, never on each other.
 *
 * <p>Threading: the phase, the supernode and the digest are set on the download's thread; the
 * cancel flag by anyone; the tracker and counters are thread-safe.
 */
final class DownloadContext {

    private static final Logger log = LoggerFactory.getLogger(DownloadContext.class);

    final DownloadEngine engine;
    final DownloadRequest request;
    final String taskId;
    final String cid;
    /** The name this download's pieces are served under ({@code /peer/file/<name>}). */
    final String taskFileName;
    final WorkFiles work;
    final ContentTracker tracker = new ContentTracker();
    final Counters counters = new Counters();
    final RateLimiter localLimiter;
    final PieceFetcher fetcher;
    final SourceHttpClient sourceHttp;
    final long startNanos = System.nanoTime();
    final long deadlineNanos;
    private final CompletableFuture<Long> length = new CompletableFuture<>();
    private volatile DownloadPhase phase = DownloadPhase.NEW;
    private volatile String supernode;
    private volatile CompletableFuture<String> digest;
    private volatile boolean cancelled;
    private volatile boolean localWriteFailed;

    DownloadContext(DownloadEngine engine, DownloadRequest request, String cid, String taskFileName, SourceHttpClient sourceHttp) {
        this.engine = engine;
        this.request = request;
        this.taskId = TaskId.compute(request.taskUrl(), request.md5(), request.identifier()).value();
        this.cid = cid;
        this.taskFileName = taskFileName;
        this.sourceHttp = sourceHttp;
        this.localLimiter = new RateLimiter(request.localLimit());
        long stall = Math.max(1000, engine.config().pieceTimeout().toMillis());
        this.fetcher = new PieceFetcher(Http.plain(), (int) Math.min(Integer.MAX_VALUE, stall),
                localLimiter, engine.totalLimiter());
        fetcher.timelineIds(taskId, cid);
        this.deadlineNanos = request.timeout().isZero() ? Long.MAX_VALUE
                : startNanos + request.timeout().toNanos();
        this.work = WorkFiles.prepare(request.output(), taskId);
        tracker.path(work.temp());
    }

    DownloadPhase phase() {
        return phase;
    }

    /**
     * The one place the phase changes.
     *
     * @throws IllegalStateException when {@link DownloadPhase#canMoveTo} does not allow the step (a bug)
     */
    synchronized void moveTo(DownloadPhase next) {
        DownloadPhase from = phase;
        if (!from.canMoveTo(next)) {
            throw new IllegalStateException("download " + taskId + ": no step from " + from + " to " + next
                    + " (expected one of " + from.next() + ")");
        }
        phase = next;
        log.debug("download {} of {}: {} -> {}", cid, taskId, from, next);
    }

    /** A timeline event of this download (see {@link Timeline}). */
    void event(String name) {
        Timeline.event(name, taskId, cid);
    }

    void event(String name, String key, long value) {
        Timeline.event(name, taskId, cid, key, value);
    }

    /** The supernode ({@code host:port}) that took the task; the latest one after a failover. */
    void supernode(String hostPort) {
        supernode = hostPort;
    }

    String supernode() {
        return supernode;
    }

    CompletableFuture<Long> length() {
        return length;
    }

    /** The content length is known (or known to be unknown, -1): bytes can flow. */
    void started(long contentLength) {
        length.complete(contentLength);
    }

    void cancel() {
        cancelled = true;
        fetcher.abortAll();
    }

    boolean cancelled() {
        return cancelled;
    }

    /** Throws when the download must stop now: cancelled or past its deadline. */
    void checkAlive() throws DownloadException {
        if (cancelled) {
            throw new DownloadException(Failure.CANCELLED, "download cancelled");
        }
        if (System.nanoTime() > deadlineNanos) {
            fetcher.abortAll();
            throw new DownloadException(Failure.TIMEOUT, "download timed out after "
                    + request.timeout().toSeconds() + "s (--timeout)");
        }
    }

    /**
     * The download's own files could not be written (a full disk, ...): the end of it, as
     * {@link Failure#LOCAL_ERROR}, with the path. The partial file is removed when the download ends
     * ({@link #localWriteFailed()}), so a full disk is not kept full by what could not be finished.
     */
    DownloadException localWriteFailure(String why) {
        localWriteFailed = true;
        return new DownloadException(Failure.LOCAL_ERROR, "cannot write " + work.temp() + ": " + why
                + "; nothing written to " + request.output() + " and the partial download removed");
    }

    boolean localWriteFailed() {
        return localWriteFailed;
    }

    /** When a piece of {@code pieceSize} started now must have arrived: the piece timeout or the minimum rate, within the deadline. */
    long pieceDeadline(int pieceSize) {
        long minRate = request.minRate();
        long millis = engine.config().pieceTimeout().toMillis();
        if (minRate > 0) {
            millis = Math.max(millis, pieceSize * 1000L / minRate);
        }
        long d = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        return Math.min(d, deadlineNanos);
    }

    /** Starts the in-order whole-file md5, overlapping the download. */
    void startDigest() {
        if (digest != null) {
            return;
        }
        CompletableFuture<String> f = new CompletableFuture<>();
        digest = f;
        engine.executor().execute(() -> {
            while (true) {
                try (ContentStream in = new ContentStream(tracker, false)) {
                    MessageDigest md5 = Digests.md5();
                    ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
                    while (in.read(buf.clear()) >= 0) {
                        md5.update(buf.flip());
                    }
                    f.complete(Digests.hex(md5.digest()));
                    return;
                } catch (ContentTracker.StaleGenerationException e) {
                    log.debug("content layout changed; digest restarts");
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                    return;
                }
            }
        });
    }

    /** The md5 of the content as it is on disk (the in-order digest, started now if not yet). */
    String wholeFileMd5() throws DownloadException {
        startDigest();
        event("md5_wait");
        try {
            long wait = deadlineNanos == Long.MAX_VALUE ? TimeUnit.HOURS.toNanos(24) : deadlineNanos - System.nanoTime();
            return digest.get(Math.max(1, wait), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new DownloadException(Failure.TIMEOUT, "timed out verifying the file's md5");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(Failure.CANCELLED, "interrupted");
        } catch (ExecutionException e) {
            throw new DownloadException(Failure.LOCAL_ERROR, "cannot read back " + work.temp() + ": " + e.getCause(), e);
        }
    }
}
