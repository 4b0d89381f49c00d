package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.piece.PieceLayout;
import io.smalldragonfly.common.piece.PieceSizePolicy;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.supernode.SupernodeConfig;
import io.smalldragonfly.supernode.scheduler.PieceInfo;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supernode's CDN: probes a task's source at its first registration, fetches it once into the
 * cache in the framed piece format, and publishes every piece to the {@link Scheduler} the moment
 * it is written. Concurrent registrations share one probe and one fetch; failures are remembered
 * for a short while so a crowd of clients does not hammer a dead source.
 *
 * <p>Threads: probes and fetches run on the {@code cdn-fetch} pool (blocking I/O, never an event
 * loop). Each task's {@link Entry} is guarded by its own monitor, held only for bookkeeping.
 */
public final class CdnManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CdnManager.class);
    /** Room kept for a task's metadata file beside its data. */
    private static final long META_ROOM = 256 * 1024;

    /** What the CDN needs to fetch a task. */
    public record TaskSpec(TaskId taskId, URI url, List<String[]> headers, String md5) {
        public TaskSpec {
            Objects.requireNonNull(taskId);
            Objects.requireNonNull(url);
            headers = List.copyOf(headers);
        }
    }

    /** The registration answer's figures: the source's length (-1 when unknown) and the piece size. */
    public record Prepared(long fileLength, int pieceSize) {}

    /** Where a task stands in the CDN. */
    public enum State { COLD, PROBING, RUNNING, SUCCESS, FAILED }

    /** A cache entry; every field is guarded by the entry's monitor. */
    private static final class Entry {
        final TaskId id;
        State state = State.COLD;
        CacheMeta meta;
        CompletableFuture<Prepared> ready;
        SourceException failure;
        long failedAtNanos;
        int serving;
        long lastAccessMillis;
        final BitSet written = new BitSet();
        long fileEnd;

        Entry(TaskId id) {
            this.id = id;
        }
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final CacheStore store;
    private final SourceClient source;
    private final Scheduler scheduler;
    private final CdnListener listener;
    private final ExecutorService pool;
    /** Writes and digests landed pieces (CPU-bound: one thread per core, shared by all fetches). */
    private final ExecutorService hashers;
    /** Held while evicting, so that a GC pass and a fetch making room do not evict the same task twice. */
    private final Object evictionLock = new Object();
    private final Duration failureTtl;
    private final Duration taskExpiry;
    private final long cacheQuota;
    private final long minFreeDisk;
    private final long stallNanos;
    private final java.util.concurrent.ScheduledExecutorService watchdog;
    private final Map<ProgressStream, Boolean> active = new ConcurrentHashMap<>();

    public CdnManager(SupernodeConfig config, Scheduler scheduler, CdnListener listener) {
        this.store = new CacheStore(config.cacheDir());
        this.source = new SourceClient(new SourcePolicy(config.sourceAllow(), config.sourceDeny()),
                config.sourceTimeout(), config.sourceCas());
        this.scheduler = scheduler;
        this.listener = listener;
        this.failureTtl = config.failureCacheTtl();
        this.taskExpiry = config.taskExpiry();
        this.cacheQuota = config.cacheQuota();
        this.minFreeDisk = config.minFreeDisk();
        // --source-timeout bounds a stall mid-body too, so that a user can add up the worst case
        this.stallNanos = Math.max(config.sourceTimeout().toNanos(), TimeUnit.MILLISECONDS.toNanos(200));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("cdn-watchdog"));
        watchdog.scheduleWithFixedDelay(this::abortStalled, 500, 500, TimeUnit.MILLISECONDS);
        this.pool = Executors.newCachedThreadPool(DaemonThreads.numbered("cdn-fetch"));
        this.hashers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                DaemonThreads.numbered("cdn-hash"));
        for (TaskId id : store.scan()) {
            store.load(id).ifPresent(m -> {
                Entry e = new Entry(id);
                e.meta = m;
                e.lastAccessMillis = m.lastAccess();
                entries.put(id.value(), e);
            });
        }
        if (!entries.isEmpty()) {
            log.info("cdn: {} cached task(s) found in {}", entries.size(), store.dir());
        }
    }

    public CacheStore store() {
        return store;
    }

    /**
     * Makes sure the task is cached or being cached: the first call probes the source (HEAD, else a
     * one-byte GET) and starts the fetch; later calls share that outcome.
     *
     * @return completes with the length and piece size, or fails with a {@link SourceException}
     */
    public CompletableFuture<Prepared> prepare(TaskSpec spec) {
        Entry e = entries.computeIfAbsent(spec.taskId().value(), k -> new Entry(spec.taskId()));
        synchronized (e) {
            e.lastAccessMillis = System.currentTimeMillis();
            if (e.state == State.FAILED) {
                if (System.nanoTime() - e.failedAtNanos < failureTtl.toNanos()) {
                    return CompletableFuture.failedFuture(e.failure);
                }
            } else if (e.ready != null) {
                return e.ready;
            }
            e.state = State.PROBING;
            e.failure = null;
            CompletableFuture<Prepared> ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return probeAndStart(e, spec);
                } catch (SourceException se) {
                    throw se;
                } catch (UncheckedIOException ex) {
                    // The cache's own disk, not the source: never 607.
                    throw new SourceException(ResultCode.CDN_FAIL, ex.getMessage() + ": " + ex.getCause().getMessage());
                } catch (RuntimeException ex) {
                    // Whatever else goes wrong with a client-named source is that source's problem: 607.
                    throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + spec.url() + ": " + ex.getMessage());
                }
            }, pool);
            e.ready = ready;
            ready.whenComplete((r, t) -> {
                if (t != null) {
                    SourceException se = t.getCause() instanceof SourceException s ? s
                            : new SourceException(ResultCode.URL_NOT_REACHABLE, String.valueOf(t.getCause()));
                    if (se instanceof CacheFullException) {
                        forget(e, se);
                    } else {
                        fail(e, se);
                    }
                }
            });
            return ready;
        }
    }

    private void fail(Entry e, SourceException se) {
        synchronized (e) {
            e.state = State.FAILED;
            e.failure = se;
            e.failedAtNanos = System.nanoTime();
            e.ready = null;
        }
        scheduler.cdnFailed(e.id.value(), se.getMessage());
    }

    /**
     * The task could not be cached for want of room: peers waiting for it are told, but the CDN
     * does not remember it as failed, so the next registration tries again.
     */
    private void forget(Entry e, SourceException se) {
        synchronized (e) {
            e.state = State.COLD;
            e.failure = null;
            e.ready = null;
        }
        scheduler.cdnFailed(e.id.value(), se.getMessage());
    }

    private Prepared probeAndStart(Entry e, TaskSpec spec) {
        CacheMeta old;
        synchronized (e) {
            old = e.meta;
        }
        boolean complete = old != null && old.complete() && cacheIntact(old);
        SourceClient.Probe p = source.probe(spec.url(), spec.headers(),
                complete ? old.etag() : null, complete ? old.lastModified() : null);
        if (complete && (p.notModified() || sameSource(old, p))) {
            log.info("cdn: task {} revalidated ({}); serving it from the cache", e.id,
                    p.notModified() ? "304" : "same validators");
            startTask(e, old.pieceSize());
            CacheMeta m = old.touched(System.currentTimeMillis());
            publishExisting(e, m);
            save(m, e);
            scheduler.cdnCompleted(e.id.value(), m.pieces().size(), framedLength(m), m.md5());
            synchronized (e) {
                e.meta = m;
                e.state = State.SUCCESS;
            }
            return new Prepared(m.contentLength(), m.pieceSize());
        }
        if (p.notModified()) {
            // A 304 without a usable cache (it vanished meanwhile): fetch it unconditionally.
            p = source.probe(spec.url(), spec.headers(), null, null);
        }
        long length = p.contentLength();
        int pieceSize = PieceSizePolicy.pieceSize(length);
        List<PieceInfo> kept = List.of();
        if (old != null && !old.complete() && !old.pieces().isEmpty() && p.acceptRanges()
                && old.pieceSize() == pieceSize && old.contentLength() == length && length >= 0
                && sameSource(old, p) && cacheIntact(old)) {
            kept = old.pieces();
            log.info("cdn: task {} resumes after {} cached piece(s)", e.id, kept.size());
        } else if (old != null) {
            store.delete(e.id);
        }
        CacheMeta meta = new CacheMeta(e.id.value(), spec.url().toString(), length, pieceSize, p.etag(),
                p.lastModified(), p.acceptRanges(), kept, false, null, System.currentTimeMillis());
        if (length >= 0) {
            long framed = new PieceLayout(length, pieceSize).framedLength();
            long need = framed - (kept.isEmpty() ? 0 : store.size(e.id)) + META_ROOM;
            if (!makeRoom(need, e)) {
                throw new CacheFullException("cache full: task " + e.id + " needs " + need + " bytes, "
                        + store.freeSpace() + " are free in " + store.dir() + " and no idle task is left to evict");
            }
        }
        startTask(e, pieceSize);
        synchronized (e) {
            e.meta = meta;
            e.written.clear();
            e.fileEnd = 0;
            e.state = State.RUNNING;
        }
        publishExisting(e, meta);
        save(meta, e);
        int start = kept.size();
        pool.execute(() -> fetch(e, spec, meta, start));
        return new Prepared(length, pieceSize);
    }

    /** The scheduler's task, fresh: an old schedule of another piece size or a failed fetch is replaced. */
    private void startTask(Entry e, int pieceSize) {
        String id = e.id.value();
        if (scheduler.hasTask(id)) {
            scheduler.cdnRestarted(id);
        }
        scheduler.createTask(id, pieceSize);
    }

    private static boolean sameSource(CacheMeta old, SourceClient.Probe p) {
        if (old.etag() != null && p.etag() != null) {
            return old.etag().equals(p.etag()) && !old.etag().startsWith("W/");
        }
        if (old.lastModified() != null && p.lastModified() != null) {
            return old.lastModified().equals(p.lastModified())
                    && (p.contentLength() < 0 || p.contentLength() == old.contentLength());
        }
        return false;
    }

    private boolean cacheIntact(CacheMeta m) {
        long need = m.pieces().isEmpty() ? 0 : (long) (m.pieces().size() - 1) * m.pieceSize()
                + m.pieces().get(m.pieces().size() - 1).framedLength();
        try {
            Path f = store.dataFile(TaskId.of(m.taskId()));
            return m.pieces().isEmpty() || Files.exists(f) && Files.size(f) >= need;
        } catch (IOException ex) {
            return false;
        }
    }

    private void publishExisting(Entry e, CacheMeta m) {
        List<PieceInfo> pieces = m.pieces();
        for (int n = 0; n < pieces.size(); n++) {
            markWritten(e, n, (long) n * m.pieceSize() + pieces.get(n).framedLength());
            scheduler.piecePublished(e.id.value(), n, pieces.get(n));
        }
    }

    private void markWritten(Entry e, int n, long end) {
        synchronized (e) {
            e.written.set(n);
            e.fileEnd = Math.max(e.fileEnd, end);
        }
    }

    private static long framedLength(CacheMeta m) {
        return m.contentLength() + (long) m.pieces().size() * PieceFraming.OVERHEAD;
    }

    /** Streams the source into the cache, piece by piece; runs on a fetch thread. */
    private void fetch(Entry e, TaskSpec spec, CacheMeta initial, int startPiece) {
        Timeline.event("cdn_fetch_start", e.id.value(), null, "fromPiece", startPiece);
        int pieceSize = initial.pieceSize();
        long from = (long) startPiece * (pieceSize - PieceFraming.OVERHEAD);
        Path data = store.dataFile(e.id);
        List<PieceInfo> done = new ArrayList<>(initial.pieces());
        try {
            Files.createDirectories(data.getParent());
            MessageDigest contentMd5 = Digests.md5();
            try (FileChannel ch = FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
                 SourceClient.Fetch f = source.open(spec.url(), spec.headers(), from);
                 ProgressStream in = new ProgressStream(f.body())) {
                if (startPiece == 0) {
                    ch.truncate(0);
                } else {
                    digestContent(ch, done, pieceSize, contentMd5);
                }
                if (from > 0 && f.status() == 200) {
                    // Asked for a range, got the whole file: skip what is cached already.
                    in.skipNBytes(from);
                }
                PieceIngest ingest = new PieceIngest(ch, pieceSize, hashers, contentMd5,
                        (n, info, len) -> {
                            Timeline.piece("cdn_written", e.id.value(), null, n, null, len);
                            landed(e, initial, done, n, info, len);
                        }, bytes -> makeRoom(bytes, e));
                active.put(in, Boolean.TRUE);
                long total;
                try {
                    total = cutPieces(initial, in, ingest, from, done.size());
                    ingest.finish();
                } catch (IOException | RuntimeException ex) {
                    ingest.drain();
                    throw ex;
                } finally {
                    active.remove(in);
                }
                complete(e, spec, initial, done, total, Digests.hex(contentMd5.digest()));
            }
        } catch (CacheFullException full) {
            // Our disk, not the source: the partial file would only keep the disk full for everyone.
            log.warn("cdn: task {} failed: {}", e.id, full.getMessage());
            store.delete(e.id);
            synchronized (e) {
                e.meta = null;
                e.written.clear();
                e.fileEnd = 0;
            }
            forget(e, full);
        } catch (SourceException se) {
            log.warn("cdn: task {} failed: {}", e.id, se.getMessage());
            keepPartial(e, initial, done);
            fail(e, se.code() == ResultCode.CDN_FAIL ? se : new SourceException(ResultCode.CDN_FAIL, se.getMessage()));
        } catch (IOException | RuntimeException ex) {
            log.warn("cdn: task {} failed: {}", e.id, ex.toString());
            keepPartial(e, initial, done);
            fail(e, new SourceException(ResultCode.CDN_FAIL, "fetching the source broke: " + ex.getMessage()));
        }
    }

    /**
     * Reads the body piece by piece into the ingest's buffers, which write, digest and publish
     * each one as it completes.
     *
     * @param first the number of the first piece read
     * @return the content bytes cached in all
     */
    private long cutPieces(CacheMeta meta, ProgressStream in, PieceIngest ingest, long from, int first)
            throws IOException {
        int perPiece = meta.pieceSize() - PieceFraming.OVERHEAD;
        long total = from;
        for (int n = first; ; n++) {
            byte[] buf = ingest.buffer();
            in.lastProgress = System.nanoTime(); // waiting for a buffer is not the source stalling
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

    /** Piece {@code n} is written and digested: record it and publish it (in piece order, one at a time). */
    private void landed(Entry e, CacheMeta meta, List<PieceInfo> done, int n, PieceInfo info, int len) {
        CacheMeta now;
        synchronized (done) {
            done.add(info);
            now = meta.withPieces(done, false, null, meta.contentLength());
        }
        save(now, e);
        markWritten(e, n, (long) n * meta.pieceSize() + info.framedLength());
        scheduler.piecePublished(e.id.value(), n, info);
    }

    /** Saves a task's metadata; a full disk is met by evicting idle tasks and trying once more. */
    private void save(CacheMeta m, Entry e) {
        try {
            store.save(m);
        } catch (UncheckedIOException ex) {
            if (!CacheFullException.isDiskFull(ex.getCause())) {
                throw ex;
            }
            if (!makeRoom(META_ROOM, e)) {
                throw new CacheFullException("cache full: cannot write the metadata of task " + e.id + " in "
                        + store.dir() + " and no idle task is left to evict");
            }
            try {
                store.save(m);
            } catch (UncheckedIOException again) {
                throw CacheFullException.isDiskFull(again.getCause())
                        ? new CacheFullException("cache full: cannot write the metadata of task " + e.id + " in "
                                + store.dir() + " even after evicting idle tasks") : again;
            }
        }
    }

    /** The whole source is cached: check its md5, record it, and tell the scheduler the task is complete. */
    private void complete(Entry e, TaskSpec spec, CacheMeta meta, List<PieceInfo> pieces, long total, String md5) {
        if (meta.contentLength() >= 0 && total != meta.contentLength()) {
            throw new SourceException(ResultCode.CDN_FAIL, "source sent " + total
                    + " bytes (expected " + meta.contentLength() + ")");
        }
        if (spec.md5() != null && !spec.md5().isEmpty() && !spec.md5().equalsIgnoreCase(md5)) {
            store.delete(e.id);
            throw new SourceException(ResultCode.CDN_FAIL, "source md5 " + md5
                    + " differs from the md5 the client gave (" + spec.md5() + ")");
        }
        CacheMeta done = meta.withPieces(pieces, true, md5, total);
        save(done, e);
        synchronized (e) {
            e.meta = done;
            e.state = State.SUCCESS;
        }
        int n = pieces.size();
        scheduler.cdnCompleted(e.id.value(), n, total + (long) n * PieceFraming.OVERHEAD, md5);
        Timeline.event("cdn_complete", e.id.value(), null, "pieces", n);
        log.info("cdn: task {} cached: {} bytes, {} pieces, md5 {}", e.id, total, n, md5);
    }

    /**
     * A short read ends the file; it must not be a broken connection or an aborted stall, or a
     * truncated piece would be published and cached as if it were the last one.
     */
    private void checkNotShort(ProgressStream in, long expected, long total, int len, int perPiece) {
        if (in.aborted != null) {
            throw new SourceException(ResultCode.CDN_FAIL, in.aborted + "; fetch aborted");
        }
        if (expected >= 0 && (total + len > expected || len < perPiece && total + len != expected)) {
            throw new SourceException(ResultCode.CDN_FAIL, "source sent " + (total + len)
                    + " bytes (expected " + expected + ")");
        }
    }

    /**
     * The JDK client has no read timeout: a source that stops sending mid-body would hold a fetch
     * thread (and its task, as in use) forever. The watchdog closes streams without progress.
     */
    private void abortStalled() {
        long now = System.nanoTime();
        for (ProgressStream s : active.keySet()) {
            if (now - s.lastProgress > stallNanos) {
                long ms = TimeUnit.NANOSECONDS.toMillis(stallNanos);
                s.aborted = "source stalled: sent nothing for "
                        + (ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0)) + " s (--source-timeout)";
                active.remove(s);
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing wakes the blocked reader; nothing else to do
                }
            }
        }
    }

    /** Counts progress of a source body so that the watchdog can tell a slow source from a dead one. */
    private static final class ProgressStream extends java.io.FilterInputStream {
        volatile long lastProgress = System.nanoTime();
        /** Why the watchdog or a shutdown closed the stream; null while it runs. */
        volatile String aborted;

        ProgressStream(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                // the watchdog's close shows up as "closed"; say why it closed
                throw aborted != null ? new IOException(aborted, e) : e;
            }
            lastProgress = System.nanoTime();
            if (aborted != null) {
                throw new IOException(aborted);
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int n = super.read();
            lastProgress = System.nanoTime();
            return n;
        }
    }

    private void keepPartial(Entry e, CacheMeta initial, List<PieceInfo> done) {
        CacheMeta meta;
        synchronized (done) {
            meta = initial.withPieces(done, false, null, initial.contentLength());
        }
        synchronized (e) {
            e.meta = meta;
        }
    }

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

    // ---- serving -----------------------------------------------------------------------------

    /** The task's data file for serving, if any piece of it is cached; close the handle when done. */
    public Optional<PieceFile> acquire(String taskId) {
        Entry e = entries.get(taskId);
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            if (e.meta == null || e.written.isEmpty()) {
                return Optional.empty();
            }
            e.serving++;
            e.lastAccessMillis = System.currentTimeMillis();
            return Optional.of(new PieceFile(store.dataFile(e.id), e.fileEnd, e.meta.pieceSize(),
                    (BitSet) e.written.clone(), e.state == State.SUCCESS, () -> {
                        synchronized (e) {
                            e.serving--;
                        }
                    }));
        }
    }

    public void uploaded(long bytes) {
        listener.uploadBytes(bytes);
    }

    public Optional<State> state(String taskId) {
        Entry e = entries.get(taskId);
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            return Optional.of(e.state);
        }
    }

    /** Cached data size of a task (0 when not cached). */
    public long cachedBytes(String taskId) {
        return TaskId.isValid(taskId) ? store.size(TaskId.of(taskId)) : 0;
    }

    // ---- eviction ----------------------------------------------------------------------------

    /**
     * Removes tasks unused past the expiry, then least recently used ones while the cache is over its
     * quota or the disk below its free-space watermark. Tasks being fetched, served or downloaded
     * by peers are never evicted.
     *
     * @return the evicted task ids
     */
    public List<String> collectGarbage() {
        synchronized (evictionLock) {
            long now = System.currentTimeMillis();
            List<String> evicted = new ArrayList<>();
            List<Entry> idle = new ArrayList<>();
            for (Entry e : entries.values()) {
                long last = lastAccess(e, now);
                if (inUse(e)) {
                    continue;
                }
                if (now - last >= taskExpiry.toMillis()) {
                    evict(e, "unused for " + Duration.ofMillis(now - last));
                    evicted.add(e.id.value());
                } else {
                    idle.add(e);
                }
            }
            if (cacheQuota > 0 || minFreeDisk > 0) {
                long total = 0;
                for (Entry e : entries.values()) {
                    total += store.size(e.id);
                }
                idle.sort(Comparator.comparingLong(e -> lastAccess(e, now)));
                for (Entry e : idle) {
                    boolean over = cacheQuota > 0 && total > cacheQuota;
                    boolean low = minFreeDisk > 0 && store.freeSpace() < minFreeDisk;
                    if (!over && !low) {
                        break;
                    }
                    if (inUse(e)) {
                        continue;
                    }
                    long size = store.size(e.id);
                    evict(e, over ? "cache over its quota" : "disk below its free-space watermark");
                    evicted.add(e.id.value());
                    total -= size;
                }
            }
            return evicted;
        }
    }

    /**
     * Makes {@code bytes} free on the cache's disk for task {@code forTask}, whatever the quota and
     * watermark flags say: a full disk is the CDN's own problem. Evicts idle tasks least recently
     * used first (so expired ones before the rest), never one in use; evicts nothing when even all
     * of them would not make enough room.
     *
     * @return whether {@code bytes} are free now
     */
    private boolean makeRoom(long bytes, Entry forTask) {
        synchronized (evictionLock) {
            if (store.freeSpace() >= bytes) {
                return true;
            }
            long now = System.currentTimeMillis();
            List<Entry> idle = new ArrayList<>();
            long evictable = 0;
            for (Entry e : entries.values()) {
                if (e != forTask && !inUse(e)) {
                    idle.add(e);
                    evictable += store.size(e.id);
                }
            }
            if (store.freeSpace() + evictable < bytes) {
                return false;
            }
            idle.sort(Comparator.comparingLong(e -> lastAccess(e, now)));
            for (Entry e : idle) {
                if (store.freeSpace() >= bytes) {
                    break;
                }
                if (!inUse(e)) {
                    evict(e, "the cache's disk is full; making room for task " + forTask.id);
                }
            }
            return store.freeSpace() >= bytes;
        }
    }

    private long lastAccess(Entry e, long nowMillis) {
        long idleNanos = scheduler.idleNanos(e.id.value());
        long fromScheduler = idleNanos == Long.MAX_VALUE ? 0 : nowMillis - TimeUnit.NANOSECONDS.toMillis(idleNanos);
        synchronized (e) {
            return Math.max(e.lastAccessMillis, fromScheduler);
        }
    }

    private boolean inUse(Entry e) {
        synchronized (e) {
            if (e.serving > 0 || e.state == State.PROBING || e.state == State.RUNNING) {
                return true;
            }
        }
        return scheduler.busy(e.id.value());
    }

    private void evict(Entry e, String why) {
        entries.remove(e.id.value(), e);
        scheduler.removeTask(e.id.value());
        store.delete(e.id);
        log.info("cdn: evicted task {} ({})", e.id, why);
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        // Blocked source reads ignore interrupts: close their streams so fetch threads end now,
        // leaving a partial cache that the next start resumes.
        for (ProgressStream s : active.keySet()) {
            s.aborted = "the supernode is stopping";
            try {
                s.close();
            } catch (IOException ignored) {
                // the fetch thread sees the closed stream and fails the task
            }
        }
        pool.shutdownNow();
        hashers.shutdownNow();
    }
}
