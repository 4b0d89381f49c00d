package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.protocol.TaskFinish;
import io.smalldragonfly.common.source.SourceHttpClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
 *   <li>{@link #phase()} says where it is ({@link DownloadPhase}).</li>
 * </ul>
 *
 * <p>It runs the phases in order on its own thread: {@link P2pSession} (registering, then P2P),
 * {@link SourceSession} when there is no supernode or back to source, then the verification here.
 * What they share is a {@link DownloadContext}.
 */
public final class Download {

    private static final Logger log = LoggerFactory.getLogger(Download.class);

    private final DownloadContext ctx;
    private final CompletableFuture<DownloadResult> result = new CompletableFuture<>();

    Download(DownloadEngine engine, DownloadRequest request, String cid, String taskFileName, SourceHttpClient sourceHttp) {
        this.ctx = new DownloadContext(engine, request, cid, taskFileName, sourceHttp);
    }

    /** The task id this download belongs to (the supernode's, computed the same way locally). */
    public String taskId() {
        return ctx.taskId;
    }

    /** This peer's client id for the download. */
    public String cid() {
        return ctx.cid;
    }

    public DownloadRequest request() {
        return ctx.request;
    }

    public CompletableFuture<DownloadResult> result() {
        return result;
    }

    /** Where the download is now. */
    public DownloadPhase phase() {
        return ctx.phase();
    }

    /**
     * Completes as soon as bytes can start to flow: with the file's content length once the
     * supernode (or the source) has told it, or -1 when the source does not say (the stream then
     * ends when the bytes do). Completes exceptionally when the download fails before that.
     */
    public CompletableFuture<Long> length() {
        return ctx.length();
    }

    /** The file's bytes in order as they arrive; see the class comment. */
    public InputStream openStream() {
        return new ContentStream(ctx.tracker, true);
    }

    /** Bytes on disk so far, and the total (-1 while unknown). */
    public record Progress(long bytes, long total) {}

    public Progress progress() {
        return new Progress(ctx.tracker.presentBytes(), ctx.tracker.total());
    }

    /** The name this download's pieces are served under ({@code /peer/file/<name>}). */
    public String taskFileName() {
        return ctx.taskFileName;
    }

    /** Changes this download's rate limit (bytes/s, 0 = unlimited), e.g. to a host-wide share. */
    public void rateLimit(long bytesPerSecond) {
        ctx.localLimiter.setRate(bytesPerSecond);
    }

    /** Stops the download; {@link #result()} fails with {@link Failure#CANCELLED}. */
    public void cancel() {
        ctx.cancel();
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
        return ctx.cancelled();
    }

    void run() {
        ctx.event("download_start");
        try {
            DownloadResult r = execute();
            ctx.moveTo(DownloadPhase.DONE);
            ctx.length().complete(r.length());
            result.complete(r);
        } catch (DownloadException e) {
            if (ctx.localWriteFailed()) {
                // before the result completes: whoever waits for it must find the space given back
                ctx.fetcher.abortAll();
                ctx.work.discard();
            }
            fail(e);
        } catch (Throwable t) {
            log.error("download of {} failed unexpectedly", ctx.request.url(), t);
            fail(new DownloadException(Failure.LOCAL_ERROR, t.toString(), t));
        } finally {
            ctx.fetcher.abortAll();
            ctx.work.close();
        }
    }

    private void fail(DownloadException e) {
        if (!ctx.phase().terminal()) {
            ctx.moveTo(DownloadPhase.FAILED);
        }
        ctx.tracker.fail(e);
        ctx.length().completeExceptionally(e);
        result.completeExceptionally(e);
    }

    /** The phases: P2P when there are supernodes (back to source when that fails and may), else the source. */
    private DownloadResult execute() throws DownloadException {
        DownloadRequest request = ctx.request;
        if (request.pattern() != Pattern.SOURCE) {
            if (request.nodes().isEmpty()) {
                if (request.notbs()) {
                    throw new DownloadException(Failure.NO_SUPERNODE,
                            "no supernode given (--node) and back-to-source is off (--notbs)");
                }
                log.warn("no supernode given; downloading {} from the source", request.url());
            } else {
                TaskFinish finish = p2pOrFallback();
                if (finish != null) {
                    ctx.event("p2p_done");
                    return finishP2p(finish);
                }
            }
        }
        ctx.moveTo(DownloadPhase.SOURCE);
        ctx.event("source_start");
        new SourceSession(ctx).run();
        ctx.event("source_end");
        return finish(request.md5(), false);
    }

    /** The P2P phases; null when they failed in a way that the source may make good. */
    private TaskFinish p2pOrFallback() throws DownloadException {
        try {
            return new P2pSession(ctx).run();
        } catch (DownloadException e) {
            if (ctx.request.notbs() || !fallbackAllowed(e.failure())) {
                throw e;
            }
            log.warn("P2P download failed ({}); going back to the source {}", e.getMessage(), ctx.request.url());
            return null;
        }
    }

    private static boolean fallbackAllowed(Failure f) {
        return f == Failure.NO_SUPERNODE || f == Failure.SOURCE_ERROR;
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
        String userMd5 = ctx.request.md5();
        if (userMd5 == null && supernodeMd5 != null && ctx.counters.unverifiedPieces.get() == 0) {
            return finish(supernodeMd5.toLowerCase(Locale.ROOT), true);
        }
        return finish(userMd5 != null ? userMd5 : supernodeMd5, false);
    }

    /**
     * The VERIFYING phase: every byte there, the md5 as expected, the file moved to its output path.
     *
     * @param impliedMd5 {@code expectedMd5} is what the verified pieces imply: not recomputed
     */
    private DownloadResult finish(String expectedMd5, boolean impliedMd5) throws DownloadException {
        ctx.moveTo(DownloadPhase.VERIFYING);
        ctx.checkAlive();
        ContentTracker tracker = ctx.tracker;
        WorkFiles work = ctx.work;
        if (!tracker.allPresent()) {
            throw new DownloadException(Failure.SOURCE_ERROR, "download ended with "
                    + tracker.contiguous() + " of " + tracker.total() + " bytes");
        }
        String md5 = impliedMd5 ? expectedMd5 : ctx.wholeFileMd5();
        ctx.event("md5_done");
        if (expectedMd5 != null && !expectedMd5.equalsIgnoreCase(md5)) {
            work.discard();
            throw new DownloadException(Failure.DIGEST_MISMATCH, "md5 of the downloaded file is " + md5
                    + " (expected " + expectedMd5 + "); nothing written to " + ctx.request.output());
        }
        try {
            tracker.moveLocked(() -> {
                work.commit();
                tracker.finish(work.output());
            });
        } catch (IOException e) {
            throw new DownloadException(Failure.LOCAL_ERROR, "cannot write " + ctx.request.output() + ": "
                    + e.getMessage(), e);
        }
        ctx.event("committed");
        double seconds = (System.nanoTime() - ctx.startNanos) / 1e9;
        Counters c = ctx.counters;
        DownloadResult r = new DownloadResult(ctx.request.url(), work.output(), ctx.taskId, tracker.total(), seconds,
                c.fromPeers.get(), c.fromSupernode.get(), c.fromSource.get(), c.fromLocal.get(), md5, ctx.supernode(),
                impliedMd5 ? DownloadResult.VERIFIED_PIECES : DownloadResult.VERIFIED_FILE);
        log.info("download finished: {}", r.summary());
        return r;
    }
}
