package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.piece.PieceLayout;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.supernode.cdn.CdnManager.TaskSpec;
import io.smalldragonfly.supernode.scheduler.PieceInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The piece writer: streams a task's source into its cache file in the framed piece format, piece
 * by piece ({@link PieceIngest} writes and digests them on the hashing threads), saves the metadata
 * as each piece lands, checks the length and md5 at the end, and makes room on a full disk through
 * the {@link CacheEvictor} it is given. It owns the files of a fetch, not the task's state: it reports each
 * landed piece and the outcome to {@link CdnManager}, which publishes them and moves the task.
 */
final class CacheWriter {

    private static final Logger log = LoggerFactory.getLogger(CacheWriter.class);
    /** Room kept for a task's metadata file beside its data. */
    static final long META_ROOM = 256 * 1024;

    /** A piece landed: written, digested and recorded in {@code meta}; called in piece order, one at a time. */
    interface Landed {
        void piece(int n, PieceInfo info, CacheMeta meta);
    }

    private final CacheStore store;
    private final SourceClient source;
    private final OpenBodies bodies;
    private final Executor hashers;
    private final CdnListener listener;
    /** Makes room on a full cache disk. */
    private final CacheEvictor evictor;

    CacheWriter(CacheStore store, SourceClient source, OpenBodies bodies, Executor hashers, CdnListener listener,
                CacheEvictor evictor) {
        this.store = store;
        this.source = source;
        this.bodies = bodies;
        this.hashers = hashers;
        this.listener = listener;
        this.evictor = evictor;
    }

    /**
     * Makes room for the whole of a task of known length before its fetch starts.
     *
     * @throws CacheFullException when even evicting every idle task would not make it
     */
    void reserve(CdnTask t, CacheMeta meta) {
        long length = meta.contentLength();
        if (length < 0) {
            return;
        }
        long framed = new PieceLayout(length, meta.pieceSize()).framedLength();
        long need = framed - (meta.pieces().isEmpty() ? 0 : store.size(t.id)) + META_ROOM;
        if (!evictor.makeRoom(need, t)) {
            throw new CacheFullException("cache full: task " + t.id + " needs " + need + " bytes, "
                    + store.freeSpace() + " are free in " + store.dir() + " and no idle task is left to evict");
        }
    }

    /** Saves a task's metadata; a full disk is met by evicting idle tasks and trying once more. */
    void saveMeta(CacheMeta m, CdnTask t) {
        try {
            store.save(m);
        } catch (UncheckedIOException ex) {
            if (!CacheFullException.isDiskFull(ex.getCause())) {
                throw ex;
            }
            if (!evictor.makeRoom(META_ROOM, t)) {
                throw new CacheFullException("cache full: cannot write the metadata of task " + t.id + " in "
                        + store.dir() + " and no idle task is left to evict");
            }
            try {
                store.save(m);
            } catch (UncheckedIOException again) {
                throw CacheFullException.isDiskFull(again.getCause())
                        ? new CacheFullException("cache full: cannot write the metadata of task " + t.id + " in "
                                + store.dir() + " even after evicting idle tasks") : again;
            }
        }
    }

    /**
     * Fetches the source of {@code spec} into the cache after the pieces {@code initial} holds
     * already; runs on a fetch thread.
     *
     * @return the complete metadata (saved)
     * @throws CacheFullException when the disk has no room (the task's file is deleted)
     * @throws SourceException    604 when the fetch breaks, stalls, is short or has another md5
     */
    CacheMeta write(CdnTask t, TaskSpec spec, CacheMeta initial, Landed landed) {
        try {
            return fetch(t, spec, initial, landed);
        } catch (CacheFullException full) {
            // Our disk, not the source: the partial file would only keep the disk full for everyone.
            log.warn("cdn: task {} failed: {}", t.id, full.getMessage());
            store.delete(t.id);
            throw full;
        } catch (SourceException se) {
            log.warn("cdn: task {} failed: {}", t.id, se.getMessage());
            throw se.code() == ResultCode.CDN_FAIL ? se : new SourceException(ResultCode.CDN_FAIL, se.getMessage());
        } catch (IOException | RuntimeException ex) {
            log.warn("cdn: task {} failed: {}", t.id, ex.toString());
            throw new SourceException(ResultCode.CDN_FAIL, "fetching the source broke: " + ex.getMessage());
        }
    }

    private CacheMeta fetch(CdnTask t, TaskSpec spec, CacheMeta initial, Landed landed) throws IOException {
        int startPiece = initial.pieces().size();
        Timeline.event("cdn_fetch_start", t.id.value(), null, "fromPiece", startPiece);
        int pieceSize = initial.pieceSize();
        long from = (long) startPiece * (pieceSize - PieceFraming.OVERHEAD);
        Path data = store.dataFile(t.id);
        List<PieceInfo> done = new ArrayList<>(initial.pieces());
        Files.createDirectories(data.getParent());
        MessageDigest contentMd5 = Digests.md5();
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
             SourceClient.Fetch f = source.open(spec.url(), spec.headers(), from)) {
            if (startPiece == 0) {
                ch.truncate(0);
            } else {
                digestContent(ch, done, pieceSize, contentMd5);
            }
            OpenBodies.Body in = bodies.track(f.body());
            long total;
            try {
                if (from > 0 && f.status() == 200) {
                    // Asked for a range, got the whole file: skip what is cached already.
                    in.skipNBytes(from);
                }
                PieceIngest ingest = new PieceIngest(ch, pieceSize, hashers, contentMd5,
                        (n, info, len) -> {
                            Timeline.piece("cdn_written", t.id.value(), null, n, null, len);
                            landed(t, initial, done, n, info, landed);
                        }, bytes -> evictor.makeRoom(bytes, t));
                try {
                    total = cutPieces(initial, in, ingest, from, done.size());
                    ingest.finish();
                } catch (IOException | RuntimeException ex) {
                    ingest.drain();
                    throw ex;
                }
            } finally {
                bodies.release(in);
            }
            return complete(t, spec, initial, done, total, Digests.hex(contentMd5.digest()));
        }
    }

    /**
     * Reads the body piece by piece into the ingest's buffers, which write, digest and publish
     * each one as it completes.
     *
     * @param first the number of the first piece read
     * @return the content bytes cached in all
     */
    private long cutPieces(CacheMeta meta, OpenBodies.Body in, PieceIngest ingest, long from, int first)
            throws IOException {
        int perPiece = meta.pieceSize() - PieceFraming.OVERHEAD;
        long total = from;
        for (int n = first; ; n++) {
            byte[] buf = ingest.buffer();
            int len = in.readNBytes(buf, PieceFraming.HEADER_LENGTH, perPiece);
            checkNotShort(in, meta.contentLength(), total, len, perPiece);
            Timeline.piece("cdn_read", meta.taskId(), null, n, null, len);
            if (len == 0) {
                return total;
            }
            listener.sourceBytes(len);
            total += len;
            ingest.submit(n, buf, len);
            if (len < perPiece) {
                return total;
            }
        }
    }

    /**
     * A short read ends the file; it must not be a broken connection or an aborted stall, or a
     * truncated piece would be published and cached as if it were the last one.
     */
    private static void checkNotShort(OpenBodies.Body in, long expected, long total, int len, int perPiece) {
        if (in.aborted() != null) {
            throw new SourceException(ResultCode.CDN_FAIL, in.aborted() + "; fetch aborted");
        }
        if (expected >= 0 && (total + len > expected || len < perPiece && total + len != expected)) {
            throw new SourceException(ResultCode.CDN_FAIL, "source sent " + (total + len)
                    + " bytes (expected " + expected + ")");
        }
    }

    /** Piece {@code n} is written and digested: record it, then report it (in piece order, one at a time). */
    private void landed(CdnTask t, CacheMeta meta, List<PieceInfo> done, int n, PieceInfo info, Landed landed) {
        CacheMeta now;
        synchronized (done) {
            done.add(info);
            now = meta.withPieces(done, false, null, meta.contentLength());
        }
        saveMeta(now, t);
        landed.piece(n, info, now);
    }

    /** The whole source is cached: check its length and md5, and record it as complete. */
    private CacheMeta complete(CdnTask t, TaskSpec spec, CacheMeta meta, List<PieceInfo> pieces, long total,
                               String md5) {
        if (meta.contentLength() >= 0 && total != meta.contentLength()) {
            throw new SourceException(ResultCode.CDN_FAIL, "source sent " + total
                    + " bytes (expected " + meta.contentLength() + ")");
        }
        if (spec.md5() != null && !spec.md5().isEmpty() && !spec.md5().equalsIgnoreCase(md5)) {
            store.delete(t.id);
            throw new SourceException(ResultCode.CDN_FAIL, "source md5 " + md5
                    + " differs from the md5 the client gave (" + spec.md5() + ")");
        }
        CacheMeta done = meta.withPieces(pieces, true, md5, total);
        saveMeta(done, t);
        return done;
    }

    /** Feeds the content of the pieces cached already to the content md5, before a resumed fetch adds the rest. */
    private static void digestContent(FileChannel ch, List<PieceInfo> pieces, int pieceSize, MessageDigest md)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(pieceSize);
        for (int n = 0; n < pieces.size(); n++) {
            int content = pieces.get(n).framedLength() - PieceFraming.OVERHEAD;
            buf.clear().limit(content);
            long pos = (long) n * pieceSize + PieceFraming.HEADER_LENGTH;
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw new IOException("cache file shorter than its metadata says");
                }
            }
            md.update(buf.array(), 0, content);
        }
    }
}
