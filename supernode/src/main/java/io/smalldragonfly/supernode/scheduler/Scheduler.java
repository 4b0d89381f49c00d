package io.smalldragonfly.supernode.scheduler;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.PieceResult;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The piece scheduler: for each {@code /peer/task} poll, the pieces the peer lacks that exist,
 * rarest first, each from the least-loaded healthy holder, within the in-flight limit per
 * downloader and the upload limit per holder; peers are preferred to the CDN as soon as a piece
 * has a healthy peer holder, so the CDN sends each piece about once.
 *
 * <p>Thread-safe: tasks are independent {@link TaskSchedule}s, each its own lock; peer health
 * (failures, heartbeats) lives in Caffeine caches that expire on their own. Nothing blocks.
 */
public final class Scheduler {

    private final Map<String, TaskSchedule> tasks = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final SchedulerListener listener;
    private final String cdnIp;
    private volatile int cdnPort;
    private final int piecesPerAnswer;
    private final int maxInFlight;
    private final int uploadsPerPeer;
    private final int downLinkKbps;
    private final long cdnDuplicateAfterNanos;
    private final int failureLimit;
    private final Cache<String, AtomicInteger> failures;
    private final Cache<String, Boolean> heartbeats;
    private final Set<String> heartbeating = ConcurrentHashMap.newKeySet();

    public Scheduler(SupernodeConfig config, int cdnPort, LongSupplier nanoClock, SchedulerListener listener) {
        this.clock = nanoClock;
        this.listener = listener;
        this.cdnIp = config.advertiseIp();
        this.cdnPort = cdnPort;
        this.piecesPerAnswer = config.piecesPerAnswer();
        this.maxInFlight = config.maxInFlight();
        this.uploadsPerPeer = config.uploadsPerPeer();
        this.downLinkKbps = config.downLinkKbps();
        this.cdnDuplicateAfterNanos = config.cdnDuplicateAfter().toNanos();
        this.failureLimit = config.peerFailureLimit();
        Ticker ticker = nanoClock::getAsLong;
        this.failures = Caffeine.newBuilder().ticker(ticker)
                .expireAfterWrite(config.peerFailureWindow()).build();
        this.heartbeats = Caffeine.newBuilder().ticker(ticker)
                .expireAfterWrite(config.heartbeatTimeout()).build();
    }

    /** The download port once bound (it may be ephemeral); CDN pieces are advertised with it. */
    public void setCdnPort(int port) {
        this.cdnPort = port;
    }

    // ---- configuration seen by tasks ---------------------------------------------------------

    String cdnIp() { return cdnIp; }
    int cdnPort() { return cdnPort; }
    int piecesPerAnswer() { return piecesPerAnswer; }
    int maxInFlight() { return maxInFlight; }
    int uploadsPerPeer() { return uploadsPerPeer; }
    int downLinkKbps() { return downLinkKbps; }
    long cdnDuplicateAfterNanos() { return cdnDuplicateAfterNanos; }
    SchedulerListener listener() { return listener; }

    /**
     * Whether a peer may serve others: it has not failed {@code peerFailureLimit} times recently and,
     * if it ever sent heartbeats (1.x clients), it still does. 0.3 clients never heartbeat.
     */
    boolean usable(String cid) {
        AtomicInteger f = failures.getIfPresent(cid);
        if (f != null && f.get() >= failureLimit) {
            return false;
        }
        return !heartbeating.contains(cid) || heartbeats.getIfPresent(cid) != null;
    }

    void recordFailure(String cid) {
        failures.asMap().compute(cid, (k, v) -> {
            AtomicInteger n = v == null ? new AtomicInteger() : v;
            n.incrementAndGet();
            return n;
        });
    }

    // ---- tasks and the CDN -------------------------------------------------------------------

    /** Creates the task's schedule if new; the CDN calls this before publishing pieces. */
    public void createTask(String taskId, int pieceSize) {
        tasks.computeIfAbsent(taskId, id -> new TaskSchedule(id, pieceSize, this, clock.getAsLong()));
    }

    public boolean hasTask(String taskId) {
        return tasks.containsKey(taskId);
    }

    public Set<String> taskIds() {
        return Set.copyOf(tasks.keySet());
    }

    /** The CDN wrote piece {@code pieceNum}: peers may fetch it from now on. */
    public void piecePublished(String taskId, int pieceNum, PieceInfo info) {
        Timeline.piece("cdn_published", taskId, null, pieceNum, null, info.framedLength());
        wake(task(taskId).publish(pieceNum, info));
    }

    public void cdnCompleted(String taskId, int pieceCount, long framedLength, String md5) {
        wake(task(taskId).complete(pieceCount, framedLength, md5));
    }

    public void cdnFailed(String taskId, String reason) {
        TaskSchedule t = tasks.get(taskId);
        if (t != null) {
            wake(t.fail(reason));
        }
    }

    /** A new fetch of the task starts from nothing: the CDN's pieces and the peers' holdings are void. */
    public void cdnRestarted(String taskId) {
        TaskSchedule t = tasks.get(taskId);
        if (t != null) {
            t.reset();
        }
    }

    public Optional<CdnState> cdnState(String taskId) {
        TaskSchedule t = tasks.get(taskId);
        return t == null ? Optional.empty() : Optional.of(t.cdnState());
    }

    public void removeTask(String taskId) {
        TaskSchedule t = tasks.remove(taskId);
        if (t != null) {
            wake(t.fail("task removed"));
        }
    }

    // ---- peers -------------------------------------------------------------------------------

    public void addPeer(String taskId, PeerRef peer) {
        task(taskId).addPeer(peer, clock.getAsLong());
    }

    /** Answers one {@code /peer/task} poll: first records the piece it reports, then decides. */
    public Decision poll(PeerTaskRequest request) {
        TaskSchedule t = task(request.taskId());
        long now = clock.getAsLong();
        if (!request.range().isEmpty()) {
            int n = t.pieceNumOf(request.range());
            if (request.result() == PieceResult.SUCCESS || request.result() == PieceResult.SEMI_SUCCESS) {
                wake(t.success(request.srcCid(), n, now));
            } else if (request.result() == PieceResult.FAIL) {
                wake(t.failure(request.srcCid(), n, request.dstCid(), PieceErrorType.FILE_NOT_EXIST, now));
            }
        }
        return t.decide(request.srcCid(), now);
    }

    /** Decides again without a report (a held poll woken by a change). */
    public Decision decide(String taskId, String cid) {
        return task(taskId).decide(cid, clock.getAsLong());
    }

    /** Completes at the task's next change (a piece published or reported, a slot freed). */
    public CompletableFuture<Void> nextChange(String taskId) {
        return task(taskId).nextChange();
    }

    public void pieceSucceeded(String taskId, String cid, String range) {
        TaskSchedule t = task(taskId);
        wake(t.success(cid, t.pieceNumOf(range), clock.getAsLong()));
    }

    public void pieceFailed(String taskId, String cid, String range, String dstCid, PieceErrorType type) {
        TaskSchedule t = task(taskId);
        wake(t.failure(cid, t.pieceNumOf(range), dstCid, type, clock.getAsLong()));
    }

    /** {@code cid} stops serving {@code taskId} (it still may download). */
    public void serviceDown(String taskId, String cid) {
        TaskSchedule t = tasks.get(taskId);
        if (t == null || !t.hasPeer(cid)) {
            throw new UnknownPeerException("taskId/cid: " + taskId + "/" + cid
                    + " is not registered (expected a registered peer of a known task)");
        }
        wake(t.serviceDown(cid));
    }

    /** A 1.x heartbeat: the peer stays a usable holder while heartbeats keep coming. */
    public void heartbeat(String cid) {
        heartbeating.add(cid);
        heartbeats.put(cid, Boolean.TRUE);
    }

    public boolean knowsPeer(String cid) {
        for (TaskSchedule t : tasks.values()) {
            if (t.hasPeer(cid)) {
                return true;
            }
        }
        return false;
    }

    /** Tasks for which {@code cid} holds pieces and serves them: a heartbeat's seed tasks. */
    public List<String> seedTasks(String cid) {
        List<String> out = new ArrayList<>();
        tasks.forEach((id, t) -> {
            if (t.peerHolds(cid)) {
                out.add(id);
            }
        });
        return out;
    }

    // ---- housekeeping ------------------------------------------------------------------------

    /** Releases pieces handed out and never reported; run periodically. */
    public void expireInFlight(Duration pieceTimeout) {
        long now = clock.getAsLong();
        for (TaskSchedule t : tasks.values()) {
            wake(t.expireInFlight(now, pieceTimeout.toNanos()));
        }
    }

    /** Whether peers are fetching the task, or the CDN still is: it must not be evicted. */
    public boolean busy(String taskId) {
        TaskSchedule t = tasks.get(taskId);
        return t != null && t.busy();
    }

    /** Nanoseconds (on the scheduler's clock) since the task was last polled or registered. */
    public long idleNanos(String taskId) {
        TaskSchedule t = tasks.get(taskId);
        if (t == null) {
            return Long.MAX_VALUE;
        }
        synchronized (t) {
            return clock.getAsLong() - t.lastAccessNanos;
        }
    }

    public Optional<TaskView> view(String taskId) {
        TaskSchedule t = tasks.get(taskId);
        return t == null ? Optional.empty() : Optional.of(t.view());
    }

    /** Peers registered per task, for every task this supernode owns. */
    public Map<String, Integer> peersByTask() {
        Map<String, Integer> out = new java.util.HashMap<>();
        tasks.forEach((id, t) -> out.put(id, t.peerCount()));
        return out;
    }

    public int taskCount() {
        return tasks.size();
    }

    public int peerCount() {
        Set<String> all = new java.util.HashSet<>();
        tasks.values().forEach(t -> all.addAll(t.peerIds()));
        return all.size();
    }

    private TaskSchedule task(String taskId) {
        TaskSchedule t = tasks.get(taskId);
        if (t == null) {
            throw new UnknownPeerException("taskId: '" + taskId + "' is unknown (expected a task id from /peer/registry)");
        }
        return t;
    }

    private static void wake(List<CompletableFuture<Void>> waiters) {
        for (CompletableFuture<Void> w : waiters) {
            w.complete(null);
        }
    }
}
