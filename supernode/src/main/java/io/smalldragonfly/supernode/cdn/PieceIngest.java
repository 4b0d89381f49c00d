package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.supernode.scheduler.PieceInfo;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lands the pieces of one fetch: the fetch thread fills a piece buffer from the source and hands it
 * over; the hashing threads write it to the cache file and compute its framed md5 and sha256 in
 * parallel (different pieces, and the two digests of one piece, on different threads), and the
 * content md5 of the whole file follows piece by piece on the side. A piece is published (in
 * order) as soon as it is written and digested; neither the content md5 nor later pieces hold it
 * up. A few buffers circulate, so the fetch reads ahead while earlier pieces are hashed, and blocks
 * only when every buffer is still in work.
 *
 * <p>Used by one fetch thread: {@link #buffer}, {@link #submit} and {@link #finish} are called from
 * it only; {@link Sink#landed} runs on a hashing thread, one piece at a time, in piece order.
 */
final class PieceIngest {

    /** Buffers in circulation: one being filled, the rest being written and hashed. */
    static final int BUFFERS = 4;
    private static final long DRAIN_SECONDS = 10;

    /** Where landed pieces go; called in piece order, never concurrently. */
    interface Sink {
        void landed(int n, PieceInfo info, int contentLength);
    }

    /** Makes room on the cache's disk: evicts idle tasks until {@code bytes} are free; false if it cannot. */
    interface Room {
        boolean make(long bytes);
    }

    private final FileChannel ch;
    private final int pieceSize;
    private final Executor hashers;
    private final MessageDigest contentMd5;
    private final Sink sink;
    private final Room room;
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private int allocated;
    private CompletableFuture<Void> published = CompletableFuture.completedFuture(null);
    private CompletableFuture<Void> content = CompletableFuture.completedFuture(null);
    private volatile Throwable failure;

    PieceIngest(FileChannel ch, int pieceSize, Executor hashers, MessageDigest contentMd5, Sink sink, Room room) {
        this.ch = ch;
        this.pieceSize = pieceSize;
        this.hashers = hashers;
        this.contentMd5 = contentMd5;
        this.sink = sink;
        this.room = room;
    }

    /** A free piece buffer (content goes at {@code [HEADER_LENGTH, HEADER_LENGTH + perPiece)}); may wait for one. */
    byte[] buffer() throws IOException {
        rethrow();
        byte[] b = free.poll();
        if (b != null) {
            return b;
        }
        if (allocated < BUFFERS) {
            allocated++;
            return new byte[pieceSize];
        }
        try {
            b = free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while pieces were being written");
        }
        rethrow();
        return b;
    }

    /** Frames piece {@code n} (content at {@code buf[4..4+len)}) in place and starts writing and hashing it. */
    void submit(int n, byte[] buf, int len) {
        ByteBuffer.wrap(buf, 0, PieceFraming.HEADER_LENGTH).putInt(PieceFraming.header(len, pieceSize));
        buf[PieceFraming.HEADER_LENGTH + len] = PieceFraming.TRAILER;
        int framed = len + PieceFraming.OVERHEAD;
        CompletableFuture<String> md5 = CompletableFuture.supplyAsync(() -> {
            write(buf, framed, (long) n * pieceSize);
            return digest(Digests.md5(), buf, framed);
        }, hashers);
        CompletableFuture<String> sha = CompletableFuture.supplyAsync(() -> digest(Digests.sha256(), buf, framed), hashers);
        content = content.thenRunAsync(() -> contentMd5.update(buf, PieceFraming.HEADER_LENGTH, len), hashers);
        CompletableFuture<PieceInfo> info = md5.thenCombine(sha, (m, s) -> new PieceInfo(m, s, framed));
        published = published.thenCombine(info, (v, i) -> {
            sink.landed(n, i, len);
            return null;
        });
        published.whenComplete((v, t) -> {
            if (t != null && failure == null) {
                failure = t;
            }
        });
        CompletableFuture.allOf(info, content).whenComplete((v, t) -> {
            if (t != null && failure == null) {
                failure = t;
            }
            free.offer(buf);
        });
    }

    /** Waits until every submitted piece is published and the content md5 has seen it; rethrows the first failure. */
    void finish() throws IOException {
        try {
            CompletableFuture.allOf(published, content).join();
        } catch (CompletionException e) {
            // the failure field holds the first one; fall through to rethrow it
        }
        rethrow();
    }

    /**
     * Waits for the pieces in work to land or fail, after the fetch itself failed; never throws. Bounded:
     * at shutdown the hashing pool drops queued work, which would otherwise never complete.
     */
    void drain() {
        try {
            CompletableFuture.allOf(published, content).get(DRAIN_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException ignored) {
            // the fetch's own failure is what the caller reports
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void rethrow() throws IOException {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t == null) {
            return;
        }
        if (t instanceof UncheckedIOException u) {
            throw u.getCause();
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new IOException(t);
    }

    private void write(byte[] buf, int framed, long pos) {
        try {
            writeFully(buf, framed, pos);
        } catch (IOException e) {
            if (!CacheFullException.isDiskFull(e)) {
                throw new UncheckedIOException(e);
            }
            // Our own disk is full, not the source's fault: make room (idle tasks go) and try again.
            if (!room.make((long) pieceSize * BUFFERS)) {
                throw new CacheFullException("cache full: no room for piece " + pos / pieceSize
                        + " of " + framed + " bytes (" + e.getMessage() + ") and no idle task left to evict");
            }
            try {
                writeFully(buf, framed, pos);
            } catch (IOException again) {
                if (CacheFullException.isDiskFull(again)) {
                    throw new CacheFullException("cache full: no room for piece " + pos / pieceSize
                            + " of " + framed + " bytes even after evicting idle tasks (" + again.getMessage() + ")");
                }
                throw new UncheckedIOException(again);
            }
        }
    }

    private void writeFully(byte[] buf, int framed, long pos) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(buf, 0, framed);
        while (out.hasRemaining()) {
            ch.write(out, pos + out.position());
        }
    }

    private static String digest(MessageDigest md, byte[] buf, int len) {
        md.update(buf, 0, len);
        return Digests.hex(md.digest());
    }
}
