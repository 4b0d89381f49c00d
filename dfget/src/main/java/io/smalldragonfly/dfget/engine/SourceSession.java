package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.piece.PieceLayout;
import io.smalldragonfly.common.piece.PieceSizePolicy;
import io.smalldragonfly.common.util.RateLimiter;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
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
    private static final java.util.regex.Pattern CONTENT_RANGE =
            java.util.regex.Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)|bytes\\s+\\*/(\\d+)");
    private static final int ATTEMPTS = 3;

    private final DownloadContext d;
    private final RateLimiter[] limiters;

    SourceSession(DownloadContext d) {
        this.d = d;
        this.limiters = new RateLimiter[] {d.localLimiter, d.engine.totalLimiter()};
    }

    void run() throws DownloadException {
        d.checkAlive();
        HttpURLConnection probe;
        int status;
        try {
            probe = open(0, 0);
            status = probe.getResponseCode();
        } catch (java.net.SocketTimeoutException e) {
            throw new DownloadException(Failure.SOURCE_ERROR, stalled());
        } catch (IOException e) {
            throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + ": " + e.getMessage(), e);
        }
        String contentRange = probe.getHeaderField("Content-Range");
        Matcher m = contentRange == null ? null : CONTENT_RANGE.matcher(contentRange.trim());
        if (status == 206 && m != null && m.matches() && m.group(3) != null && !m.group(3).equals("*")) {
            Http.drainQuietly(probe);
            ranged(Long.parseLong(m.group(3)));
        } else if (status == 416 && m != null && m.matches() && "0".equals(m.group(4))) {
            Http.drainQuietly(probe);
            ranged(0);
        } else if (status == 200) {
            sequential(probe);
        } else if (status == 206) {
            probe.disconnect();
            try {
                HttpURLConnection c = open(-1, -1);
                int s = c.getResponseCode();
                if (s != 200) {
                    Http.drainQuietly(c);
                    throw new DownloadException(Failure.SOURCE_ERROR, "source answered HTTP " + s + " (expected 200)");
                }
                sequential(c);
            } catch (IOException e) {
                throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + ": " + e.getMessage(), e);
            }
        } else {
            Http.drainQuietly(probe);
            throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + " answered HTTP "
                    + status + " (expected 200 or 206)");
        }
    }

    private String stalled() {
        long ms = d.request.sourceTimeout().toMillis();
        return "source " + d.request.url() + " stalled: sent nothing for "
                + (ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0)) + " s (--source-timeout)";
    }

    private HttpURLConnection open(long start, long end) throws IOException {
        int timeout = (int) Math.min(Integer.MAX_VALUE, d.request.sourceTimeout().toMillis());
        HttpURLConnection c = d.sourceHttp.open(new URL(d.request.url()), timeout, timeout);
        for (String h : d.request.headers()) {
            int colon = h.indexOf(':');
            c.setRequestProperty(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        if (start >= 0) {
            c.setRequestProperty("Range", "bytes=" + start + "-" + end);
        }
        c.setRequestProperty("Accept-Encoding", "identity");
        return c;
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
        List<HttpURLConnection> active = java.util.Collections.synchronizedList(new ArrayList<>());
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
                        active.forEach(HttpURLConnection::disconnect); // the others stop now, not at their own timeout
                    }
                }
                try {
                    d.checkAlive();
                } catch (DownloadException e) {
                    failure.compareAndSet(null, e);
                    synchronized (active) {
                        active.forEach(HttpURLConnection::disconnect);
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

    private void fetchRange(PieceLayout layout, int n, List<HttpURLConnection> active) throws DownloadException {
        long offset = layout.contentOffset(n);
        int len = layout.contentLength(n);
        String last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            HttpURLConnection c = null;
            boolean ok = false;
            try {
                c = open(offset, offset + len - 1);
                active.add(c);
                int status = c.getResponseCode();
                if (status != 206 || c.getContentLengthLong() != len) {
                    last = "HTTP " + status + " with " + c.getContentLengthLong() + " bytes for bytes="
                            + offset + "-" + (offset + len - 1) + " (expected 206 with " + len + ")";
                    if (status >= 400 && status < 500) {
                        throw new DownloadException(Failure.SOURCE_ERROR, "source: " + last);
                    }
                    continue;
                }
                // The right length is not enough: other bytes (or another version's length) at this
                // offset would make a wrong file that nothing notices without an md5.
                String expected = "bytes " + offset + "-" + (offset + len - 1) + "/" + layout.contentLength();
                String got = c.getHeaderField("Content-Range");
                if (got == null || !got.trim().equals(expected)) {
                    throw new DownloadException(Failure.SOURCE_ERROR, "source: Content-Range '" + got
                            + "' for bytes=" + offset + "-" + (offset + len - 1) + " (expected '" + expected
                            + "'; the source changed or does not honour ranges)");
                }
                try (InputStream in = c.getInputStream()) {
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
            } catch (java.net.SocketTimeoutException e) {
                // A stall is not retried: three tries would triple the time a user waits for nothing.
                throw new DownloadException(Failure.SOURCE_ERROR, stalled());
            } catch (IOException e) {
                last = e.toString();
                log.warn("source range {} attempt {} failed: {}", n, attempt, last);
            } finally {
                if (c != null) {
                    active.remove(c);
                    if (!ok) {
                        c.disconnect();
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
    private void sequential(HttpURLConnection c) throws DownloadException {
        long declared = c.getContentLengthLong();
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
            try (InputStream in = c.getInputStream()) {
                got = copy(in, d.work.channel(), 0, -1);
            }
            if (declared >= 0 && got != declared) {
                throw new DownloadException(Failure.SOURCE_ERROR, "source sent " + got + " bytes (expected "
                        + declared + ")");
            }
            d.tracker.sequential(got);
            d.tracker.total(got);
        } catch (LocalWriteException e) {
            c.disconnect();
            throw d.localWriteFailure(e.getMessage());
        } catch (java.net.SocketTimeoutException e) {
            c.disconnect();
            d.checkAlive();
            throw new DownloadException(Failure.SOURCE_ERROR, stalled());
        } catch (IOException e) {
            c.disconnect();
            d.checkAlive();
            throw new DownloadException(Failure.SOURCE_ERROR, "source " + d.request.url() + ": " + e.getMessage(), e);
        }
    }
}
