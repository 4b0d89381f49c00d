package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.piece.PieceLayout;
import io.smalldragonfly.common.piece.PieceSizePolicy;
import io.smalldragonfly.common.source.ContentRange;
import io.smalldragonfly.common.source.SourceAnswerException;
import io.smalldragonfly.common.source.SourceHeaders;
import io.smalldragonfly.common.source.SourceRequest;
import io.smalldragonfly.common.source.SourceResponse;
import io.smalldragonfly.common.source.SourceStalledException;
import io.smalldragonfly.common.util.RateLimiter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Back to source: the file straight from its URL with the user's headers. A first request asks for
 * {@code bytes=0-0}; a 206 with the full length means the source takes ranges, and the file is then
 * fetched as piece-sized ranges a few at a time (resumable through the piece map); a 200 is read
 * through sequentially. The SOURCE phase of a download; it works on the download's
 * {@link DownloadContext}.
 */
final class SourceSession {

    private static final Logger log = LoggerFactory.getLogger(SourceSession.class);
    private static final int ATTEMPTS = 3;

    private final DownloadContext d;
    private final RateLimiter[] limiters;
    /** The source GET, built on the first send (ranges may be fetched from several threads). */
    private volatile SourceRequest get;

    SourceSession(DownloadContext d) {
        this.d = d;
        this.limiters = new RateLimiter[] {d.localLimiter, d.engine.totalLimiter()};
    }

    void run() throws DownloadException {
        d.checkAlive();
        SourceResponse probe;
        try {
            probe = send(0, 0);
        } catch (SourceStalledException e) {
            throw new DownloadException(Failure.SOURCE_ERROR, e.getMessage());
        } catch (IOException e) {
            throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + ": " + e.getMessage(), e);
        }
        int status = probe.status();
        ContentRange range = probe.contentRange();
        if (status == 206 && range.total() >= 0) {
            probe.close();
            ranged(range.total());
        } else if (status == 416 && range != null && range.unsatisfied() && range.total() == 0) {
            probe.close();
            ranged(0);
        } else if (status == 200) {
            sequential(probe);
        } else if (status == 206) {
            probe.close();
            try {
                SourceResponse c = send(-1, -1);
                if (c.status() != 200) {
                    c.close();
                    throw new DownloadException(Failure.SOURCE_ERROR, "source answered HTTP " + c.status()
                            + " (expected 200)");
                }
                sequential(c);
            } catch (SourceStalledException e) {
                throw new DownloadException(Failure.SOURCE_ERROR, e.getMessage());
            } catch (IOException e) {
                throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + ": " + e.getMessage(), e);
            }
        } else {
            probe.close();
            throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + " answered HTTP "
                    + status + " (expected 200 or 206)");
        }
    }

    /** GET of the source, for bytes {@code start..end} unless {@code start} is -1. */
    private SourceResponse send(long start, long end) throws IOException {
        if (get == null) {
            try {
                get = SourceRequest.get(URI.create(d.request.url()), SourceHeaders.parse(d.request.headers()));
            } catch (IllegalArgumentException e) {
                throw new SourceAnswerException(e.getMessage());
            }
        }
        return d.sourceHttp.send(start >= 0 ? get.range(start, end) : get);
    }

    private void ranged(long length) throws DownloadException {
        PieceLayout layout = new PieceLayout(length, PieceSizePolicy.pieceSize(length));
        boolean fresh;
        try {
            fresh = d.work.open(layout.pieceSize(), length);
        } catch (IOException e) {
            throw new DownloadException(Failure.LOCAL_ERROR, e.getMessage(), e);
        }
        d.tracker.usePieces(layout.pieceSize(), length, fresh);
        ConcurrentLinkedQueue<Integer> todo = new ConcurrentLinkedQueue<>();
        for (int n = 0; n < layout.pieceCount(); n++) {
            int have = d.work.map().contentLength(n);
            if (have == layout.contentLength(n)) {
                if (!d.tracker.has(n)) {
                    d.counters.fromLocal.addAndGet(have);
                    d.tracker.markPiece(n, have);
                }
            } else {
                todo.add(n);
            }
        }
        d.startDigest();
        d.started(length);
        log.info("downloading {} from the source: {} bytes, {} pieces to fetch", d.request.url(), length, todo.size());
        int workers = Math.min(d.engine.config().parallelPieces(), Math.max(1, todo.size()));
        CountDownLatch done = new CountDownLatch(workers);
        AtomicReference<DownloadException> failure = new AtomicReference<>();
        List<SourceResponse> active = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < workers; w++) {
            d.engine.executor().execute(() -> {
                try {
                    Integer n;
                    while (failure.get() == null && !d.cancelled() && (n = todo.poll()) != null) {
                        fetchRange(layout, n, active);
                    }
                } catch (DownloadException e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            while (!done.await(250, TimeUnit.MILLISECONDS)) {
                if (failure.get() != null) {
                    synchronized (active) {
                        active.forEach(SourceResponse::close); // the others stop now, not at their own timeout
                    }
                }
                try {
                    d.checkAlive();
                } catch (DownloadException e) {
                    failure.compareAndSet(null, e);
                    synchronized (active) {
                        active.forEach(SourceResponse::close);
                    }
                    done.await(30, TimeUnit.SECONDS);
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new DownloadException(Failure.CANCELLED, "interrupted"));
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        d.checkAlive();
    }

    private void fetchRange(PieceLayout layout, int n, List<SourceResponse> active) throws DownloadException {
        long offset = layout.contentOffset(n);
        int len = layout.contentLength(n);
        String last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            SourceResponse c = null;
            boolean ok = false;
            try {
                c = send(offset, offset + len - 1);
                active.add(c);
                int status = c.status();
                if (status != 206 || c.contentLength() != len) {
                    last = "HTTP " + status + " with " + c.contentLength() + " bytes for bytes="
                            + offset + "-" + (offset + len - 1) + " (expected 206 with " + len + ")";
                    if (status >= 400 && status < 500) {
                        throw new DownloadException(Failure.SOURCE_ERROR, "source: " + last);
                    }
                    continue;
                }
                // The right length is not enough: other bytes (or another version's length) at this
                // offset would make a wrong file that nothing notices without an md5.
                String expected = "bytes " + offset + "-" + (offset + len - 1) + "/" + layout.contentLength();
                String got = c.header("Content-Range");
                if (c.contentRange() == null || !c.contentRange().toString().equals(expected)) {
                    throw new DownloadException(Failure.SOURCE_ERROR, "source: Content-Range '" + got
                            + "' for bytes=" + offset + "-" + (offset + len - 1) + " (expected '" + expected
                            + "'; the source changed or does not honour ranges)");
                }
                try (InputStream in = c.body()) {
                    copy(in, d.work.channel(), offset, len);
                }
                ok = true;
                try {
                    d.work.map().mark(n, len);
                } catch (IOException e) {
                    throw new LocalWriteException(e);
                }
                d.tracker.markPiece(n, len);
                return;
            } catch (LocalWriteException e) {
                throw d.localWriteFailure(e.getMessage());
            } catch (SourceStalledException e) {
                // A stall is not retried: three tries would triple the time a user waits for nothing.
                throw new DownloadException(Failure.SOURCE_ERROR, e.getMessage());
            } catch (SourceAnswerException e) {
                // A wrong answer (a range for other bytes, a lying length) would come again.
                throw new DownloadException(Failure.SOURCE_ERROR, "source: " + e.getMessage());
            } catch (IOException e) {
                last = e.toString();
                log.warn("source range {} attempt {} failed: {}", n, attempt, last);
            } finally {
                if (c != null) {
                    active.remove(c);
                    if (!ok) {
                        c.close();
                    }
                }
            }
            if (d.cancelled()) {
                throw new DownloadException(Failure.CANCELLED, "download cancelled");
            }
        }
        throw new DownloadException(Failure.SOURCE_ERROR, "source: piece " + n + " failed " + ATTEMPTS
                + " times; last: " + last);
    }

    private long copy(InputStream in, FileChannel out, long offset, long len) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long pos = offset;
        long remaining = len;
        while (remaining != 0) {
            int n = in.read(buf, 0, remaining < 0 ? buf.length : (int) Math.min(buf.length, remaining));
            if (n < 0) {
                if (remaining < 0) {
                    break;
                }
                throw new IOException("source body ended " + remaining + " bytes early");
            }
            try {
                RateLimiter.acquireAll(n, limiters);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            }
            pos = LocalWriteException.writeFully(out, ByteBuffer.wrap(buf, 0, n), pos);
            d.counters.fromSource.addAndGet(n);
            if (remaining > 0) {
                remaining -= n;
            } else {
                d.tracker.sequential(pos - offset);
            }
        }
        return pos - offset;
    }

    /** A source without ranges: one pass, no resume. */
    private void sequential(SourceResponse c) throws DownloadException {
        long declared = c.contentLength();
        log.info("downloading {} from the source in one stream ({} bytes)", d.request.url(),
                declared < 0 ? "unknown" : declared);
        try {
            d.work.open(PieceSizePolicy.DEFAULT_PIECE_SIZE, -2); // a layout no resume matches
            d.tracker.sequential(0);
            if (declared >= 0) {
                d.tracker.total(declared); // progress shows a total; a short body still fails below
            }
            d.startDigest();
            d.started(declared);
            long got;
            try (InputStream in = c.body()) {
                got = copy(in, d.work.channel(), 0, -1);
            }
            if (declared >= 0 && got != declared) {
                throw new DownloadException(Failure.SOURCE_ERROR, "source sent " + got + " bytes (expected "
                        + declared + ")");
            }
            d.tracker.sequential(got);
            d.tracker.total(got);
        } catch (LocalWriteException e) {
            c.close();
            throw d.localWriteFailure(e.getMessage());
        } catch (SourceStalledException e) {
            c.close();
            d.checkAlive();
            throw new DownloadException(Failure.SOURCE_ERROR, e.getMessage());
        } catch (IOException e) {
            c.close();
            d.checkAlive();
            throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + ": " + e.getMessage(), e);
        }
    }
}
