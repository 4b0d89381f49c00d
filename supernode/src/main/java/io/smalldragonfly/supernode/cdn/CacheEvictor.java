package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.supernode.scheduler.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes cached tasks: those unused past {@code --task-expiry}, then the least recently used while
 * the cache is over {@code --cache-quota} or its disk below {@code --min-free-disk}
 * ({@link #collectGarbage}), and, whatever the flags, idle ones when a fetch or a metadata save
 * needs room on a full disk ({@link #makeRoom}). A task being probed, fetched or served, or with
 * pieces in flight between peers, is never evicted. "Recently used" is the later of the CDN's
 * last access and the scheduler's (a task whose pieces peers exchange is in use even if the CDN
 * serves none of them).
 *
 * <p>The task table is {@link CdnManager}'s; this removes from it. One eviction at a time (its own
 * lock), so that a GC pass and a fetch making room do not evict the same task twice.
 */
final class CacheEvictor {

    private static final Logger log = LoggerFactory.getLogger(CacheEvictor.class);

    private final Map<String, CdnTask> tasks;
    private final CacheStore store;
    private final Scheduler scheduler;
    private final CdnClock clock;
    private final Duration taskExpiry;
    private final long cacheQuota;
    private final long minFreeDisk;
    private final Object evictionLock = new Object();

    /**
     * @param cacheQuota  bytes the cache may hold; 0: no quota
     * @param minFreeDisk bytes the cache's disk keeps free; 0: no watermark
     */
    CacheEvictor(Map<String, CdnTask> tasks, CacheStore store, Scheduler scheduler, CdnClock clock,
                 Duration taskExpiry, long cacheQuota, long minFreeDisk) {
        this.tasks = tasks;
        this.store = store;
        this.scheduler = scheduler;
        this.clock = clock;
        this.taskExpiry = taskExpiry;
        this.cacheQuota = cacheQuota;
        this.minFreeDisk = minFreeDisk;
    }

    /**
     * Removes tasks unused past the expiry, then least recently used ones while the cache is over its
     * quota or the disk below its free-space watermark.
     *
     * @return the evicted task ids
     */
    List<String> collectGarbage() {
        synchronized (evictionLock) {
            long now = clock.epochMillis();
            List<String> evicted = new ArrayList<>();
            List<CdnTask> idle = new ArrayList<>();
            for (CdnTask t : tasks.values()) {
                long last = lastAccess(t, now);
                if (inUse(t)) {
                    continue;
                }
                if (now - last >= taskExpiry.toMillis()) {
                    evict(t, "unused for " + Duration.ofMillis(now - last));
                    evicted.add(t.id.value());
                } else {
                    idle.add(t);
                }
            }
            if (cacheQuota > 0 || minFreeDisk > 0) {
                long total = 0;
                for (CdnTask t : tasks.values()) {
                    total += store.size(t.id);
                }
                idle.sort(Comparator.comparingLong(t -> lastAccess(t, now)));
                for (CdnTask t : idle) {
                    boolean over = cacheQuota > 0 && total > cacheQuota;
                    boolean low = minFreeDisk > 0 && store.freeSpace() < minFreeDisk;
                    if (!over && !low) {
                        break;
                    }
                    if (inUse(t)) {
                        continue;
                    }
                    long size = store.size(t.id);
                    evict(t, over ? "cache over its quota" : "disk below its free-space watermark");
                    evicted.add(t.id.value());
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
    boolean makeRoom(long bytes, CdnTask forTask) {
        synchronized (evictionLock) {
            if (store.freeSpace() >= bytes) {
                return true;
            }
            long now = clock.epochMillis();
            List<CdnTask> idle = new ArrayList<>();
            long evictable = 0;
            for (CdnTask t : tasks.values()) {
                if (t != forTask && !inUse(t)) {
                    idle.add(t);
                    evictable += store.size(t.id);
                }
            }
            if (store.freeSpace() + evictable < bytes) {
                return false;
            }
            idle.sort(Comparator.comparingLong(t -> lastAccess(t, now)));
            for (CdnTask t : idle) {
                if (store.freeSpace() >= bytes) {
                    break;
                }
                if (!inUse(t)) {
                    evict(t, "the cache's disk is full; making room for task " + forTask.id);
                }
            }
            return store.freeSpace() >= bytes;
        }
    }

    /** Epoch millis of the task's last use, by the CDN or (polls, registrations) by the scheduler. */
    private long lastAccess(CdnTask t, long nowMillis) {
        long idleNanos = scheduler.idleNanos(t.id.value());
        long fromScheduler = idleNanos == Long.MAX_VALUE ? 0 : nowMillis - TimeUnit.NANOSECONDS.toMillis(idleNanos);
        synchronized (t) {
            return Math.max(t.lastAccessMillis, fromScheduler);
        }
    }

    private boolean inUse(CdnTask t) {
        synchronized (t) {
            if (t.serving > 0 || t.working()) {
                return true;
            }
        }
        return scheduler.busy(t.id.value());
    }

    private void evict(CdnTask t, String why) {
        tasks.remove(t.id.value(), t);
        scheduler.removeTask(t.id.value());
        store.delete(t.id);
        log.info("cdn: evicted task {} ({})", t.id, why);
    }
}
