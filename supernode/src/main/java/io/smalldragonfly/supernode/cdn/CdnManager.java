package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.supernode.SupernodeConfig;
import io.smalldragonfly.supernode.scheduler.PieceInfo;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supernode's CDN: probes a task's source at its first registration, fetches it once into the
 * cache in the framed piece format, and publishes every piece to the {@link Scheduler} the moment
 * it is written. Concurrent registrations share one probe and one fetch.
 *
 * <p>This class owns the task table and drives each task's state machine ({@link State}; every
 * change goes through {@link CdnTask#moveTo}, called from here only). The work is done by its
 * parts: {@link SourceProbe} (probe, revalidation, failure cache), {@link CacheWriter} (the piece
 * writer, with {@link PieceIngest}), {@link OpenBodies} (the source bodies a shutdown aborts) and
 * {@link CacheEvictor} (expiry, LRU quota, free disk, room on a full disk), all on one
 * {@link CdnClock} (the scheduler's) and one {@link SourceClient}.
 *
 * <p>Threads: probes and fetches run on the {@code cdn-fetch} pool (blocking I/O, never an event
 * loop); pieces are written and digested on the {@code cdn-hash} pool. Each {@link CdnTask} is
 * guarded by its own monitor, held only for bookkeeping.
 */
public final class CdnManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CdnManager.class);

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

    /**
     * Where a task stands in the CDN. COLD (nothing known, or only a cache from disk) and FAILED
     * (past the failure cache's TTL) go to PROBING at a registration; a probe ends in SUCCESS
     * (revalidated), RUNNING (fetching), FAILED, or COLD again when the cache has no room; a fetch
     * ends in SUCCESS, FAILED or COLD (no room). SUCCESS is final: the task leaves by eviction.
     */
    public enum State {
        COLD, PROBING, RUNNING, SUCCESS, FAILED;

        boolean canMoveTo(State next) {
            return switch (this) {
                case COLD, FAILED -> next == PROBING;
                case PROBING -> next == RUNNING || next == SUCCESS || next == FAILED || next == COLD;
                case RUNNING -> next == SUCCESS || next == FAILED || next == COLD;
                case SUCCESS -> false;
            };
        }
    }

    private final Map<String, CdnTask> tasks = new ConcurrentHashMap<>();
    private final CacheStore store;
    private final Scheduler scheduler;
    private final CdnListener listener;
    private final CdnClock clock;
    private final SourceProbe probe;
    private final OpenBodies bodies;
    private final CacheWriter writer;
    private final CacheEvictor evictor;
    private final ExecutorService pool;
    /** Writes and digests landed pieces (CPU-bound: one thread per core, shared by all fetches). */
    private final ExecutorService hashers;

    /**
     * @param nanoClock the scheduler's clock ({@code System::nanoTime} in the supernode): expiry and
     *                  the failure cache are measured on it
     */
    public CdnManager(SupernodeConfig config, Scheduler scheduler, LongSupplier nanoClock, CdnListener listener) {
        // The CDN's one way to a source: SourceProbe's probes and CacheWriter's fetches.
        SourceClient source = new SourceClient(new SourcePolicy(config.sourceAllow(), config.sourceDeny()),
                config.sourceTimeout(), config.sourceCas());
        this.store = new CacheStore(config.cacheDir());
        this.scheduler = scheduler;
        this.listener = listener;
        this.clock = CdnClock.anchored(nanoClock);
        this.probe = new SourceProbe(source, store, clock, config.failureCacheTtl());
        this.bodies = new OpenBodies();
        this.evictor = new CacheEvictor(tasks, store, scheduler, clock, config.taskExpiry(), config.cacheQuota(),
                config.minFreeDisk());
        this.pool = Executors.newCachedThreadPool(DaemonThreads.numbered("cdn-fetch"));
        this.hashers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                DaemonThreads.numbered("cdn-hash"));
        this.writer = new CacheWriter(store, source, bodies, hashers, listener, evictor);
        for (TaskId id : store.scan()) {
            store.load(id).ifPresent(m -> {
                CdnTask t = new CdnTask(id);
                t.meta = m;
                t.lastAccessMillis = m.lastAccess();
                tasks.put(id.value(), t);
            });
        }
        if (!tasks.isEmpty()) {
            log.info("cdn: {} cached task(s) found in {}", tasks.size(), store.dir());
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
        CdnTask t = tasks.computeIfAbsent(spec.taskId().value(), k -> new CdnTask(spec.taskId()));
        synchronized (t) {
            t.lastAccessMillis = clock.epochMillis();
            if (t.state() == State.FAILED) {
                Optional<SourceException> recent = probe.recentFailure(t.id);
                if (recent.isPresent()) {
                    return CompletableFuture.failedFuture(recent.get());
                }
            } else if (t.ready != null) {
                return t.ready;
            }
            t.moveTo(State.PROBING, "registered");
            CompletableFuture<Prepared> ready = CompletableFuture.supplyAsync(() -> {
                try {
                    return probeAndStart(t, spec);
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
            t.ready = ready;
            ready.whenComplete((r, e) -> {
                if (e != null) {
                    SourceException se = e.getCause() instanceof SourceException s ? s
                            : new SourceException(ResultCode.URL_NOT_REACHABLE, String.valueOf(e.getCause()));
                    if (se instanceof CacheFullException) {
                        forget(t, se);
                    } else {
                        fail(t, se);
                    }
                }
            });
            return ready;
        }
    }

    private void fail(CdnTask t, SourceException se) {
        synchronized (t) {
            t.moveTo(State.FAILED, se.getMessage());
            probe.failed(t.id, se);
            t.ready = null;
        }
        scheduler.cdnFailed(t.id.value(), se.getMessage());
    }

    /**
     * The task could not be cached for want of room: peers waiting for it are told, but the CDN
     * does not remember it as failed, so the next registration tries again.
     */
    private void forget(CdnTask t, SourceException se) {
        synchronized (t) {
            t.moveTo(State.COLD, se.getMessage());
            t.ready = null;
        }
        scheduler.cdnFailed(t.id.value(), se.getMessage());
    }

    private Prepared probeAndStart(CdnTask t, TaskSpec spec) {
        CacheMeta old;
        synchronized (t) {
            old = t.meta;
        }
        SourceProbe.Plan plan = probe.plan(spec, old);
        if (plan instanceof SourceProbe.Revalidated r) {
            CacheMeta m = r.meta();
            startTask(t, m.pieceSize());
            publishExisting(t, m);
            writer.saveMeta(m, t);
            scheduler.cdnCompleted(t.id.value(), m.pieces().size(), framedLength(m), m.md5());
            synchronized (t) {
                t.meta = m;
                t.moveTo(State.SUCCESS, "revalidated (" + r.how() + ")");
            }
            return new Prepared(m.contentLength(), m.pieceSize());
        }
        SourceProbe.Fetch f = (SourceProbe.Fetch) plan;
        if (f.discardOld()) {
            store.delete(t.id);
        }
        CacheMeta meta = f.meta();
        writer.reserve(t, meta);
        startTask(t, meta.pieceSize());
        synchronized (t) {
            t.meta = meta;
            t.written.clear();
            t.fileEnd = 0;
            t.moveTo(State.RUNNING, "fetching from piece " + meta.pieces().size());
        }
        publishExisting(t, meta);
        writer.saveMeta(meta, t);
        pool.execute(() -> fetch(t, spec, meta));
        return new Prepared(meta.contentLength(), meta.pieceSize());
    }

    /** The scheduler's task, fresh: an old schedule of another piece size or a failed fetch is replaced. */
    private void startTask(CdnTask t, int pieceSize) {
        String id = t.id.value();
        if (scheduler.hasTask(id)) {
            scheduler.cdnRestarted(id);
        }
        scheduler.createTask(id, pieceSize);
    }

    private void publishExisting(CdnTask t, CacheMeta m) {
        List<PieceInfo> pieces = m.pieces();
        for (int n = 0; n < pieces.size(); n++) {
            publish(t, m.pieceSize(), n, pieces.get(n));
        }
    }

    /** Piece {@code n} is in the cache file: serve it and tell the scheduler. */
    private void publish(CdnTask t, int pieceSize, int n, PieceInfo info) {
        t.markWritten(n, (long) n * pieceSize + info.framedLength());
        scheduler.piecePublished(t.id.value(), n, info);
    }

    private static long framedLength(CacheMeta m) {
        return m.contentLength() + (long) m.pieces().size() * PieceFraming.OVERHEAD;
    }

    /** Streams the source into the cache; runs on a fetch thread. */
    private void fetch(CdnTask t, TaskSpec spec, CacheMeta initial) {
        CacheMeta done;
        try {
            done = writer.write(t, spec, initial, (n, info, now) -> {
                synchronized (t) {
                    t.meta = now; // what a failed fetch leaves to resume from
                }
                publish(t, now.pieceSize(), n, info);
            });
        } catch (CacheFullException full) {
            synchronized (t) {
                t.meta = null;
                t.written.clear();
                t.fileEnd = 0;
            }
            forget(t, full);
            return;
        } catch (SourceException se) {
            fail(t, se);
            return;
        }
        synchronized (t) {
            t.meta = done;
            t.moveTo(State.SUCCESS, "fetched");
        }
        int n = done.pieces().size();
        scheduler.cdnCompleted(t.id.value(), n, framedLength(done), done.md5());
        Timeline.event("cdn_complete", t.id.value(), null, "pieces", n);
        log.info("cdn: task {} cached: {} bytes, {} pieces, md5 {}", t.id, done.contentLength(), n, done.md5());
    }

    // ---- serving -----------------------------------------------------------------------------

    /** The task's data file for serving, if any piece of it is cached; close the handle when done. */
    public Optional<PieceFile> acquire(String taskId) {
        CdnTask t = tasks.get(taskId);
        if (t == null) {
            return Optional.empty();
        }
        synchronized (t) {
            if (t.meta == null || t.written.isEmpty()) {
                return Optional.empty();
            }
            t.serving++;
            t.lastAccessMillis = clock.epochMillis();
            return Optional.of(new PieceFile(store.dataFile(t.id), t.fileEnd, t.meta.pieceSize(),
                    (BitSet) t.written.clone(), t.state() == State.SUCCESS, () -> {
                        synchronized (t) {
                            t.serving--;
                        }
                    }));
        }
    }

    public void uploaded(long bytes) {
        listener.uploadBytes(bytes);
    }

    public Optional<State> state(String taskId) {
        CdnTask t = tasks.get(taskId);
        return t == null ? Optional.empty() : Optional.of(t.state());
    }

    /** Cached data size of a task (0 when not cached). */
    public long cachedBytes(String taskId) {
        return TaskId.isValid(taskId) ? store.size(TaskId.of(taskId)) : 0;
    }

    /**
     * Removes tasks unused past the expiry, then least recently used ones while the cache is over its
     * quota or the disk below its free-space watermark. Tasks being fetched, served or downloaded
     * by peers are never evicted.
     *
     * @return the evicted task ids
     */
    public List<String> collectGarbage() {
        return evictor.collectGarbage();
    }

    @Override
    public void close() {
        // Aborting the source bodies ends the fetch threads now, leaving a partial cache that the
        // next start resumes.
        bodies.close();
        pool.shutdownNow();
        hashers.shutdownNow();
    }
}
