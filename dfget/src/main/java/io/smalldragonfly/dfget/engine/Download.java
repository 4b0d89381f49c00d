package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.protocol.TaskFinish;
import io.smalldragonfly.common.source.SourceHttpClient;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.common.util.RateLimiter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running download, as {@link DownloadEngine#start} returns it.
 *
 * <ul>
 *   <li>{@link #result()} completes with a {@link DownloadResult} once the file is verified and at
 *       its output path, or exceptionally with a {@link DownloadException}.</li>
 *   <li>{@link #openStream()} yields the file's bytes in order while the download runs (pieces
 *       arrive in any order; the stream blocks until the next one is on disk). It ends after the
 *       whole file was verified, so a reader that saw end-of-stream saw good bytes; if the download
 *       fails the stream throws an {@link IOException}. dfdaemon serves a layer from it while it is
 *       still downloading. Any number of streams may be opened, at any time.</li>
 *   <li>{@link #length()} completes once bytes can flow, with the content length when known.</li>
 *   <li>{@link #cancel()} stops it; the temp file stays for a later resume. Closing a stream does
 *       not cancel the download.</li>
 * </ul>
 */
public final class Download {

    private static final Logger log = LoggerFactory.getLogger(Download.class);

    final DownloadEngine engine;
    final DownloadRequest request;
    final String taskId;
    final String cid;
    final String taskFileName;
    final ContentTracker tracker = new ContentTracker();
    final Counters counters = new Counters();
    final RateLimiter localLimiter;
    final PieceFetcher fetcher;
    final SourceHttpClient sourceHttp;
    final long startNanos = System.nanoTime();
    final long deadlineNanos;
    final WorkFiles work;
    private final CompletableFuture<DownloadResult> result = new CompletableFuture<>();
    private final CompletableFuture<Long> length = new CompletableFuture<>();
    private volatile CompletableFuture<String> digest;
    private volatile boolean cancelled;
    private volatile boolean localWriteFailed;
    volatile String supernode;

    Download(DownloadEngine engine, DownloadRequest request, String cid, String taskFileName, SourceHttpClient sourceHttp) {
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

    /** The task id this download belongs to (the supernode's, computed the same way locally). */
    public String taskId() {
        return taskId;
    }

    /** This peer's client id for the download. */
    public String cid() {
        return cid;
    }

    public DownloadRequest request() {
        return request;
    }

    public CompletableFuture<DownloadResult> result() {
        return result;
    }

    /**
     * Completes as soon as bytes can start to flow: with the file's content length once the
     * supernode (or the source) has told it, or -1 when the source does not say (the stream then
     * ends when the bytes do). Completes exceptionally when the download fails before that.
     */
    public CompletableFuture<Long> length() {
        return length;
    }

    /** The file's bytes in order as they arrive; see the class comment. */
    public InputStream openStream() {
        return new ContentStream(tracker, true);
    }

    /** Bytes on disk so far, and the total (-1 while unknown). */
    public record Progress(long bytes, long total) {}

    public Progress progress() {
        return new Progress(tracker.presentBytes(), tracker.total());
    }

    /** The name this download's pieces are served under ({@code /peer/file/<name>}). */
    public String taskFileName() {
        return taskFileName;
    }

    /** Changes this download's rate limit (bytes/s, 0 = unlimited), e.g. to a host-wide share. */
    public void rateLimit(long bytesPerSecond) {
        localLimiter.setRate(bytesPerSecond);
    }

    /** Stops the download; {@link #result()} fails with {@link Failure#CANCELLED}. */
    public void cancel() {
        cancelled = true;
        fetcher.abortAll();
    }

    /** Waits for the result, unwrapping the failure. */
    public DownloadResult await() throws DownloadException, InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DownloadException de) {
                throw de;
            }
            throw new DownloadException(Failure.LOCAL_ERROR, String.valueOf(e.getCause()), e.getCause());
        }
    }

    /** Whether {@link #cancel()} was called. */
    public boolean cancelled() {
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
     * (see {@link #run}), so a full disk is not kept full by what could not be finished.
     */
    DownloadException localWriteFailure(String why) {
        localWriteFailed = true;
        return new DownloadException(Failure.LOCAL_ERROR, "cannot write " + work.temp() + ": " + why
                + "; nothing written to " + request.output() + " and the partial download removed");
    }

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

    /** The content length is known (or known to be unknown): bytes can flow. */
    void started(long contentLength) {
        length.complete(contentLength);
    }

    void run() {
        Timeline.event("download_start", taskId, cid);
        try {
            DownloadResult r = execute();
            length.complete(r.length());
            result.complete(r);
        } catch (DownloadException e) {
            if (localWriteFailed) {
                // before the result completes: whoever waits for it must find the space given back
                fetcher.abortAll();
                work.discard();
            }
            tracker.fail(e);
            length.completeExceptionally(e);
            result.completeExceptionally(e);
        } catch (Throwable t) {
            log.error("download of {} failed unexpectedly", request.url(), t);
            DownloadException e = new DownloadException(Failure.LOCAL_ERROR, t.toString(), t);
            tracker.fail(e);
            length.completeExceptionally(e);
            result.completeExceptionally(e);
        } finally {
            fetcher.abortAll();
            work.close();
        }
    }

    private DownloadResult execute() throws DownloadException {
        Pattern pattern = request.pattern();
        String expectedMd5 = request.md5();
        if (pattern != Pattern.SOURCE) {
            if (request.nodes().isEmpty()) {
                if (request.notbs()) {
                    throw new DownloadException(Failure.NO_SUPERNODE,
                            "no supernode given (--node) and back-to-source is off (--notbs)");
                }
                log.warn("no supernode given; downloading {} from the source", request.url());
            } else {
                try {
                    TaskFinish finish = new P2pSession(this).run();
                    Timeline.event("p2p_done", taskId, cid);
                    return finishP2p(finish);
                } catch (DownloadException e) {
                    if (request.notbs() || !fallbackAllowed(e.failure())) {
                        throw e;
                    }
                    log.warn("P2P download failed ({}); going back to the source {}", e.getMessage(), request.url());
                }
            }
        }
        Timeline.event("source_start", taskId, cid);
        new SourceSession(this).run();
        Timeline.event("source_end", taskId, cid);
        return finish(expectedMd5);
    }

    private static boolean fallbackAllowed(Failure f) {
        return f == Failure.NO_SUPERNODE || f == Failure.SOURCE_ERROR;
    }

    /** The md5 of the content as it is on disk (the in-order digest, started now if not yet). */
    private String wholeFileMd5() throws DownloadException {
        startDigest();
        Timeline.event("md5_wait", taskId, cid);
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

    /**
     * Every piece of a P2P download was checked against the supernode's digest as it arrived, so
     * those checks already imply the file the supernode cached, whose md5 it reports: reading the
     * whole file back for a second md5 (1.4 s of one core per GiB) would prove nothing more. It is
     * computed only when the user gave {@code --md5} (checked against the bytes themselves), or when
     * some piece came without a digest, or the supernode named no md5.
     */
    private DownloadResult finishP2p(TaskFinish finish) throws DownloadException {
        String supernodeMd5 = finish.md5() == null || finish.md5().isEmpty() ? null : finish.md5();
        if (request.md5() == null && supernodeMd5 != null && counters.unverifiedPieces.get() == 0) {
            return finish(supernodeMd5.toLowerCase(java.util.Locale.ROOT), true);
        }
        return finish(request.md5() != null ? request.md5() : supernodeMd5, false);
    }

    private DownloadResult finish(String expectedMd5) throws DownloadException {
        return finish(expectedMd5, false);
    }

    /** @param impliedMd5 {@code expectedMd5} is what the verified pieces imply: not recomputed */
    private DownloadResult finish(String expectedMd5, boolean impliedMd5) throws DownloadException {
        checkAlive();
        if (!tracker.allPresent()) {
            throw new DownloadException(Failure.SOURCE_ERROR, "download ended with "
                    + tracker.contiguous() + " of " + tracker.total() + " bytes");
        }
        String md5 = impliedMd5 ? expectedMd5 : wholeFileMd5();
        Timeline.event("md5_done", taskId, cid);
        if (expectedMd5 != null && !expectedMd5.equalsIgnoreCase(md5)) {
            work.discard();
            throw new DownloadException(Failure.DIGEST_MISMATCH, "md5 of the downloaded file is " + md5
                    + " (expected " + expectedMd5 + "); nothing written to " + request.output());
        }
        try {
            tracker.moveLocked(() -> {
                work.commit();
                tracker.finish(work.output());
            });
        } catch (IOException e) {
            throw new DownloadException(Failure.LOCAL_ERROR, "cannot write " + request.output() + ": " + e.getMessage(), e);
        }
        Timeline.event("committed", taskId, cid);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        DownloadResult r = new DownloadResult(request.url(), work.output(), taskId, tracker.total(), seconds,
                counters.fromPeers.get(), counters.fromSupernode.get(), counters.fromSource.get(),
                counters.fromLocal.get(), md5, supernode,
                impliedMd5 ? DownloadResult.VERIFIED_PIECES : DownloadResult.VERIFIED_FILE);
        log.info("download finished: {}", r.summary());
        return r;
    }
}
