package io.smalldragonfly.supernode.cdn;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.smalldragonfly.common.piece.PieceSizePolicy;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.supernode.cdn.CdnManager.TaskSpec;
import io.smalldragonfly.supernode.scheduler.PieceInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a task's source what it has and decides what the CDN does with the cache it holds: a
 * complete cache is revalidated (a conditional HEAD; {@code 304} or unchanged validators keep it),
 * a partial one is resumed when the source is the same and accepts ranges, anything else is
 * fetched afresh. It also remembers a source's failure for the failure cache's TTL (10 s; on the CDN's
 * clock), so a crowd of clients does not hammer a dead source. Runs on fetch threads (the
 * probe blocks); no state of its own but the failure cache.
 */
final class SourceProbe {

    private static final Logger log = LoggerFactory.getLogger(SourceProbe.class);

    /** What to do with a task after its probe. */
    sealed interface Plan permits Revalidated, Fetch {}

    /** The complete cache is still what the source has: serve it ({@code meta} is touched now). */
    record Revalidated(CacheMeta meta, String how) implements Plan {}

    /**
     * Fetch the source into the cache: {@code meta} is the fresh metadata (with the pieces kept from
     * a partial cache when resuming); {@code discardOld}: the cached files are stale, delete them first.
     */
    record Fetch(CacheMeta meta, boolean discardOld) implements Plan {}

    private final SourceClient source;
    private final CacheStore store;
    private final CdnClock clock;
    private final Cache<String, SourceException> failures;

    SourceProbe(SourceClient source, CacheStore store, CdnClock clock, Duration failureTtl) {
        this.source = source;
        this.store = store;
        this.clock = clock;
        this.failures = Caffeine.newBuilder().ticker(clock::nanoTime).expireAfterWrite(failureTtl).build();
    }

    /**
     * Probes the source of {@code spec} and plans the task against the cache {@code old} (null: none).
     *
     * @throws SourceException 607 / 608 when the source cannot be probed
     */
    Plan plan(TaskSpec spec, CacheMeta old) {
        TaskId id = spec.taskId();
        boolean complete = old != null && old.complete() && cacheIntact(old);
        SourceClient.Probe p = source.probe(spec.url(), spec.headers(),
                complete ? old.etag() : null, complete ? old.lastModified() : null);
        if (complete && (p.notModified() || sameSource(old, p))) {
            String how = p.notModified() ? "304" : "same validators";
            log.info("cdn: task {} revalidated ({}); serving it from the cache", id, how);
            return new Revalidated(old.touched(clock.epochMillis()), how);
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
            log.info("cdn: task {} resumes after {} cached piece(s)", id, kept.size());
        }
        CacheMeta meta = new CacheMeta(id.value(), spec.url().toString(), length, pieceSize, p.etag(),
                p.lastModified(), p.acceptRanges(), kept, false, null, clock.epochMillis());
        return new Fetch(meta, old != null && kept.isEmpty());
    }

    /** Remembers that the task's source failed: {@link #recentFailure} answers it until the TTL passes. */
    void failed(TaskId id, SourceException e) {
        failures.put(id.value(), e);
    }

    /** The task's source failure, if it failed within the failure cache's TTL. */
    Optional<SourceException> recentFailure(TaskId id) {
        return Optional.ofNullable(failures.getIfPresent(id.value()));
    }

    /** Whether the source still has what the cache holds: same strong ETag, or same Last-Modified and length. */
    static boolean sameSource(CacheMeta old, SourceClient.Probe p) {
        if (old.etag() != null && p.etag() != null) {
            return old.etag().equals(p.etag()) && !old.etag().startsWith("W/");
        }
        if (old.lastModified() != null && p.lastModified() != null) {
            return old.lastModified().equals(p.lastModified())
                    && (p.contentLength() < 0 || p.contentLength() == old.contentLength());
        }
        return false;
    }

    /** Whether the data file holds at least what the metadata says is written. */
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
}
