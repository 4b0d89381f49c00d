package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.common.util.RateLimiter;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Fetches one framed piece from a peer's upload server or the CDN (PROTOCOL.md, "Peer to peer"),
 * streaming its content to the content file at its offset while checking the framing and the
 * piece's digest (its {@code pieceSha256} when the supernode offers one, else its {@code pieceMd5}).
 * Nothing is kept in memory beyond one 64 KiB buffer. Bytes of a piece that fails a check may
 * already be in the file: the caller does not record the piece, so they are overwritten later and
 * never read.
 */
final class PieceFetcher {

    private static final int BUFFER = 64 * 1024;

    private final Http http;
    private final RateLimiter[] limiters;
    private final int stallMillis;
    private final Set<HttpURLConnection> active = ConcurrentHashMap.newKeySet();
    private volatile String timelineTask;
    private volatile String timelineCid;

    PieceFetcher(Http http, int stallMillis, RateLimiter... limiters) {
        this.http = http;
        this.stallMillis = stallMillis;
        this.limiters = limiters;
    }

    /** Which download the timeline's piece events of this fetcher belong to. */
    void timelineIds(String taskId, String cid) {
        this.timelineTask = taskId;
        this.timelineCid = cid;
    }

    /** Aborts every transfer in progress (cancel, timeout). */
    void abortAll() {
        active.forEach(HttpURLConnection::disconnect);
    }

    /**
     * @param framedLength the piece's expected framed length (from {@code pieceMd5}, else the layout)
     * @param deadlineNanos {@link System#nanoTime()} by which the piece must be in
     */
    PieceOutcome fetch(PieceTask task, int pieceSize, long framedLength, FileChannel out, long contentOffset,
                       long deadlineNanos, BooleanSupplier cancelled, Counters counters) {
        HttpURLConnection c = null;
        boolean reusable = false;
        try {
            URL url = new URL("http", task.peerIp(), task.peerPort(), task.path());
            c = http.open(url, 3000, stallMillis);
            active.add(c);
            c.setRequestProperty("Range", "bytes=" + task.range());
            c.setRequestProperty("pieceNum", Integer.toString(task.pieceNum()));
            c.setRequestProperty("pieceSize", Integer.toString(pieceSize));
            int status = c.getResponseCode();
            if (status != 206) {
                Http.drainQuietly(c);
                return PieceOutcome.failed(task, PieceErrorType.FILE_NOT_EXIST, null,
                        "HTTP " + status + " (expected 206)");
            }
            long declared = c.getContentLengthLong();
            if (declared >= 0 && framedLength >= 0 && declared != framedLength) {
                return PieceOutcome.failed(task, PieceErrorType.FILE_MD5_NOT_MATCH, null,
                        "Content-Length " + declared + " (expected " + framedLength + ")");
            }
            // One digest per piece: the supernode's sha256 when it offers one (our extra, strictly
            // stronger), else the original's md5. A second hash of every byte would cost a core.
            boolean useSha = task.pieceSha256() != null && !task.pieceSha256().isEmpty();
            MessageDigest digest = useSha ? Digests.sha256() : Digests.md5();
            try (InputStream in = c.getInputStream()) {
                byte[] header = in.readNBytes(PieceFraming.HEADER_LENGTH);
                if (header.length < PieceFraming.HEADER_LENGTH) {
                    return fail(task, "body: " + header.length + " bytes (expected a 4-byte piece header)");
                }
                Timeline.piece("first_byte", timelineTask, timelineCid, task.pieceNum(), task.cid(), -1);
                int h = ByteBuffer.wrap(header).getInt();
                int contentLength = PieceFraming.contentLength(h);
                if (PieceFraming.pieceSize(h) != pieceSize) {
                    return fail(task, "piece header: piece size " + PieceFraming.pieceSize(h)
                            + " (expected " + pieceSize + ")");
                }
                if (framedLength >= 0 && contentLength + PieceFraming.OVERHEAD != framedLength) {
                    return fail(task, "piece header: content length " + contentLength + " (expected "
                            + (framedLength - PieceFraming.OVERHEAD) + ")");
                }
                digest.update(header);
                byte[] buf = new byte[BUFFER];
                long remaining = contentLength;
                long pos = contentOffset;
                while (remaining > 0) {
                    if (cancelled.getAsBoolean()) {
                        return fail(task, "cancelled");
                    }
                    if (System.nanoTime() > deadlineNanos) {
                        return PieceOutcome.failed(task, PieceErrorType.FILE_NOT_EXIST, null, "piece timed out");
                    }
                    int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                    if (n < 0) {
                        return fail(task, "body ended " + remaining + " bytes short of the piece");
                    }
                    RateLimiter.acquireAll(n, limiters);
                    digest.update(buf, 0, n);
                    // One writer per content file: tmpfs (and ext4) take the inode's rwsem for every
                    // write and spin while its holder copies; parked here, a waiter frees its core
                    // (docs/performance.md, "One writer per content file").
                    synchronized (out) {
                        pos = LocalWriteException.writeFully(out, ByteBuffer.wrap(buf, 0, n), pos);
                    }
                    remaining -= n;
                }
                int trailer = in.read();
                if (trailer != (PieceFraming.TRAILER & 0xff)) {
                    return fail(task, trailer < 0 ? "body ended before the piece trailer"
                            : String.format("piece trailer: 0x%02x (expected 0x7f)", trailer));
                }
                digest.update(PieceFraming.TRAILER);
                if (in.read() >= 0) {
                    return fail(task, "body longer than the piece");
                }
                Timeline.piece("fetch_end", timelineTask, timelineCid, task.pieceNum(), task.cid(), contentLength);
                String real = Digests.hex(digest.digest());
                if (useSha) {
                    if (!real.equalsIgnoreCase(task.pieceSha256())) {
                        return PieceOutcome.failed(task, PieceErrorType.FILE_MD5_NOT_MATCH, "",
                                "sha256 " + real + " (expected " + task.pieceSha256() + ")");
                    }
                } else if (task.md5() == null || task.md5().isEmpty()) {
                    counters.unverifiedPieces.incrementAndGet();
                } else if (!real.equalsIgnoreCase(task.md5())) {
                    return PieceOutcome.failed(task, PieceErrorType.FILE_MD5_NOT_MATCH, real,
                            "md5 " + real + " (expected " + task.md5() + ")");
                }
                reusable = true;
                Timeline.piece("verified", timelineTask, timelineCid, task.pieceNum(), task.cid(), contentLength);
                (task.fromSupernode() ? counters.fromSupernode : counters.fromPeers).addAndGet(contentLength);
                return PieceOutcome.ok(task, contentLength, false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return PieceOutcome.failed(task, PieceErrorType.FILE_NOT_EXIST, null, "interrupted");
        } catch (LocalWriteException e) {
            return PieceOutcome.localFailure(task, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return PieceOutcome.failed(task, PieceErrorType.FILE_NOT_EXIST, null, e.toString());
        } finally {
            if (c != null) {
                active.remove(c);
                if (!reusable) {
                    c.disconnect();
                }
            }
        }
    }

    private static PieceOutcome fail(PieceTask task, String message) {
        return PieceOutcome.failed(task, PieceErrorType.FILE_MD5_NOT_MATCH, null, message);
    }

    /** Checks a piece already on disk (from an interrupted run) against the supernode's digest. */
    static boolean verifyLocal(FileChannel file, long contentOffset, int contentLength, int pieceSize,
                               PieceTask task) throws IOException {
        if (task.framedLength() >= 0 && task.framedLength() != contentLength + PieceFraming.OVERHEAD) {
            return false;
        }
        MessageDigest md5 = Digests.md5();
        md5.update(PieceFraming.headerBytes(contentLength, pieceSize));
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        long pos = contentOffset;
        long remaining = contentLength;
        while (remaining > 0) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), remaining));
            int n = file.read(buf, pos);
            if (n < 0) {
                return false;
            }
            buf.flip();
            md5.update(buf);
            pos += n;
            remaining -= n;
        }
        md5.update(PieceFraming.TRAILER);
        return Digests.hex(md5.digest()).equalsIgnoreCase(task.md5());
    }
}
