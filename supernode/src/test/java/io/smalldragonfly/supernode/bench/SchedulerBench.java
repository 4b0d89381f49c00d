package io.smalldragonfly.supernode.bench;

import io.smalldragonfly.common.piece.PieceRange;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PeerTaskStatus;
import io.smalldragonfly.common.protocol.PieceResult;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.supernode.SupernodeConfig;
import io.smalldragonfly.supernode.scheduler.Decision;
import io.smalldragonfly.supernode.scheduler.PeerRef;
import io.smalldragonfly.supernode.scheduler.PieceInfo;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import io.smalldragonfly.supernode.scheduler.SchedulerListener;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code /peer/task} decisions per second, in-process, as the original client drives them: every
 * poll reports the piece the peer finished last (result 503) and gets its next pieces. Peers that
 * finish are replaced by fresh ones, so the swarm stays at its size. Not a test; run it with
 * {@code bench/supernode-scheduler.sh}.
 *
 * <pre>
 * args: [seconds per scenario, default 10] [threads, default = cores]
 * </pre>
 * Scenarios: 1,000 peers on one task; 1,000 peers over 100 tasks (10 each); then the heap held by
 * 1,000 peers x 10 tasks (every peer registered in every task, holding half the pieces).
 */
public final class SchedulerBench {

    static final int PIECE = 4 * 1024 * 1024;
    static final int PIECES = 51; // a 200 MB file, as in the captures

    private SchedulerBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "java %s, %d cores, %d threads, max heap %d MB%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), threads,
                Runtime.getRuntime().maxMemory() >> 20);
        run("1 task x 1000 peers", 1, 1000, seconds, threads);
        run("100 tasks x 10 peers", 100, 10, seconds, threads);
        heap(1000, 10);
    }

    static Scheduler scheduler() {
        SupernodeConfig cfg = SupernodeConfig.builder(Path.of("bench")).build();
        return new Scheduler(cfg, 8001, System::nanoTime, SchedulerListener.NONE);
    }

    static String taskId(int t) {
        return String.format("%064x", t + 1);
    }

    static void publish(Scheduler s, String task) {
        s.createTask(task, PIECE);
        for (int n = 0; n < PIECES; n++) {
            s.piecePublished(task, n, new PieceInfo(String.format("%032x", n), String.format("%064x", n), PIECE));
        }
        s.cdnCompleted(task, PIECES, (long) PIECES * PIECE, "0".repeat(32));
    }

    /** One simulated peer: its running pieces, reported one per poll. */
    static final class SimPeer {
        final String task;
        String cid;
        final ArrayDeque<PieceTask> running = new ArrayDeque<>();

        SimPeer(String task, String cid) {
            this.task = task;
            this.cid = cid;
        }
    }

    static void run(String name, int tasks, int peersPerTask, int seconds, int threads) throws Exception {
        Scheduler s = scheduler();
        List<SimPeer> peers = new ArrayList<>();
        AtomicInteger ids = new AtomicInteger();
        for (int t = 0; t < tasks; t++) {
            publish(s, taskId(t));
            for (int p = 0; p < peersPerTask; p++) {
                SimPeer sp = new SimPeer(taskId(t), "peer-" + ids.incrementAndGet());
                s.addPeer(sp.task, new PeerRef(sp.cid, "10.0.0.1", 15000, "/peer/file/" + sp.cid));
                peers.add(sp);
            }
        }
        // Warm up (JIT), then measure.
        drive(s, peers, ids, threads, 2_000_000_000L, null);
        long[][] samples = new long[threads][];
        long count = drive(s, peers, ids, threads, seconds * 1_000_000_000L, samples);
        long[] all = Arrays.stream(samples).flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        System.out.printf(Locale.ROOT, "%-22s %,10.0f decisions/s   p50 %6.1f us   p99 %6.1f us   p99.9 %6.1f us   max %6.1f ms%n",
                name, count / (double) seconds, pct(all, 0.50) / 1e3, pct(all, 0.99) / 1e3, pct(all, 0.999) / 1e3,
                all[all.length - 1] / 1e6);
    }

    static long pct(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
    }

    /** Each thread drives its share of the peers round-robin for {@code nanos}; returns the decisions made. */
    static long drive(Scheduler s, List<SimPeer> peers, AtomicInteger ids, int threads, long nanos, long[][] samples)
            throws InterruptedException {
        AtomicInteger total = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads);
        long end = System.nanoTime() + nanos;
        for (int t = 0; t < threads; t++) {
            int slice = t;
            Thread th = new Thread(() -> {
                long[] lat = new long[1 << 20];
                int n = 0;
                List<SimPeer> mine = new ArrayList<>();
                for (int i = slice; i < peers.size(); i += threads) {
                    mine.add(peers.get(i));
                }
                int k = 0;
                while (System.nanoTime() < end) {
                    SimPeer p = mine.get(k++ % mine.size());
                    PieceTask done1 = p.running.poll();
                    PeerTaskRequest req = done1 == null ? PeerTaskRequest.first(p.cid, p.task)
                            : new PeerTaskRequest(p.cid, done1.cid(), p.task, done1.range(), PeerTaskStatus.RUNNING,
                                    PieceResult.SEMI_SUCCESS);
                    long t0 = System.nanoTime();
                    Decision d = s.poll(req);
                    long dt = System.nanoTime() - t0;
                    if (n < lat.length) {
                        lat[n] = dt;
                    }
                    n++;
                    if (d instanceof Decision.Pieces ps && !ps.repeated()) {
                        p.running.addAll(ps.pieces());
                    } else if (d instanceof Decision.Finished) {
                        // Done: this peer leaves (service down) and a fresh one joins in its place.
                        s.serviceDown(p.task, p.cid);
                        p.cid = "peer-" + ids.incrementAndGet();
                        p.running.clear();
                        s.addPeer(p.task, new PeerRef(p.cid, "10.0.0.1", 15000, "/peer/file/" + p.cid));
                    }
                }
                if (samples != null) {
                    samples[slice] = Arrays.copyOf(lat, Math.min(n, lat.length));
                }
                total.addAndGet(n);
                done.countDown();
            }, "bench-" + t);
            th.start();
        }
        done.await();
        return total.get();
    }

    static void heap(int peers, int tasks) {
        long before = usedAfterGc();
        Scheduler s = scheduler();
        for (int t = 0; t < tasks; t++) {
            String task = taskId(t);
            publish(s, task);
            for (int p = 0; p < peers; p++) {
                String cid = "127.0.0.1-" + (10_000 + p) + "-1795655059.776";
                s.addPeer(task, new PeerRef(cid, "10.0.0." + (p % 250), 15000 + p, "/peer/file/" + cid + "-" + t));
                for (int n = p % 2; n < PIECES; n += 2) {
                    s.pieceSucceeded(task, cid, PieceRange.of(n, PIECE).toString());
                }
            }
        }
        long after = usedAfterGc();
        System.out.printf(Locale.ROOT, "heap: %d peers x %d tasks (each peer holding half of %d pieces): "
                        + "scheduler state %.1f MB, JVM heap in use %.1f MB (max %d MB), %d peers, %d tasks%n",
                peers, tasks, PIECES, (after - before) / 1048576.0, after / 1048576.0,
                Runtime.getRuntime().maxMemory() >> 20, s.peerCount(), s.taskCount());
    }

    static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
