package io.smalldragonfly.supernode.scheduler;

import io.smalldragonfly.common.piece.PieceRange;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PeerTaskStatus;
import io.smalldragonfly.common.protocol.PieceResult;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A swarm on a virtual clock, without sockets, driving the real {@link Scheduler}: a source that
 * the CDN ingests at {@code sourceRate} (publishing each piece as it lands), a CDN that uploads at
 * {@code cdnUp} in total, and N peers with their own upload and download capacities. Pieces flow
 * at the rates the simulation allots, recomputed every {@code TICK} of virtual time: an
 * approximately max-min fair share (as TCP flows sharing links roughly get), found by a few rounds
 * of water-filling, each receiver splitting its download capacity over its transfers given what
 * their senders grant, then each sender splitting its upload capacity over what its receivers
 * offer. A transfer started between ticks waits for the next one (at most {@code TICK}).
 *
 * <p>Each peer behaves as the original client (and our dfget) does: it polls {@code /peer/task},
 * starts up to {@code clientParallel} of the assigned pieces, and on each finished piece reports it
 * ({@code /peer/piece/suc}) and polls again with the 503 report; a 602 answer is held by the server
 * until the task changes or {@code waitTimeout} passes (as {@code ApiService}), after which the
 * client backs off 50 ms doubling to 1 s. Finished peers keep serving (their upload server stays).
 */
final class SwarmSimulation {

    static final String TASK = "5".repeat(64);
    static final double MIB = 1024 * 1024;
    /** Rates are allotted anew every 10 ms of virtual time. */
    static final double TICK = 0.01;

    /** What the swarm looks like; rates in bytes per second. */
    record Swarm(long fileBytes, int pieceSize, double sourceRate, double cdnUp, double[] up, double[] down,
                 double startJitterSeconds, long seed) {

        int peers() {
            return up.length;
        }

        /** max(F/u_s, F/d_min, N*F/(u_s + sum u_i)): no schedule can do better. */
        double lowerBound() {
            double dMin = Double.MAX_VALUE;
            double sumUp = 0;
            for (int i = 0; i < up.length; i++) {
                dMin = Math.min(dMin, down[i]);
                sumUp += up[i];
            }
            double us = Math.min(cdnUp, sourceRate);
            return Math.max(fileBytes / us, Math.max(fileBytes / dMin, up.length * (double) fileBytes / (us + sumUp)));
        }

        /**
         * N peers with download capacities uniform in [dLow, 2 dLow] (one exactly dLow) and upload
         * capacities uniform in [uMean/2, 3 uMean/2].
         */
        static Swarm random(int n, long fileBytes, double sourceRate, double cdnUp, double dLow, double uMean,
                            long seed) {
            Random r = new Random(seed);
            double[] up = new double[n];
            double[] down = new double[n];
            for (int i = 0; i < n; i++) {
                down[i] = i == 0 ? dLow : dLow * (1 + r.nextDouble());
                up[i] = uMean * (0.5 + r.nextDouble());
            }
            return new Swarm(fileBytes, 4 * 1024 * 1024, sourceRate, cdnUp, up, down, 0.2, seed);
        }
    }

    /** The outcome: when the last peer finished, and what the CDN and the peers sent. */
    record Result(double seconds, double bound, double cdnCopies, double peerShare, double p50, long polls,
                  long heldRedecisions, double idlePeerSeconds) {
        double ratio() {
            return seconds / bound;
        }

        @Override
        public String toString() {
            return String.format("%.2f s, bound %.2f s, ratio %.3f, p50 %.2f s, CDN %.2f copies, peer share %.3f, "
                    + "%d polls, %d decisions of held polls, peers with nothing running %.1f peer-s", seconds,
                    bound, ratio(), p50, cdnCopies, peerShare, polls, heldRedecisions, idlePeerSeconds);
        }
    }

    // ---- the network -------------------------------------------------------------------------

    /** One end of transfers: the CDN or a peer, with its capacities and current transfers. */
    static final class Node {
        final double up;
        final double down;
        final Set<Flow> ups = new LinkedHashSet<>();
        final Set<Flow> downs = new LinkedHashSet<>();

        Node(double up, double down) {
            this.up = up;
            this.down = down;
        }
    }

    static final class Flow {
        final Node src;
        final Client dst;
        final int piece;
        final String srcCid;
        double remaining;
        double rate;
        double offer;
        double grant;
        boolean completing;

        Flow(Node src, Client dst, int piece, String srcCid, double bytes, double now) {
            this.src = src;
            this.dst = dst;
            this.piece = piece;
            this.srcCid = srcCid;
            this.remaining = bytes;
        }
    }

    /** A peer as its client runs it: the poll loop state of P2pSession. */
    final class Client {
        final int index;
        final String cid;
        final Node node;
        final BitSet have = new BitSet();
        final Map<Integer, Flow> running = new HashMap<>();
        final LinkedHashMap<Integer, PieceTask> pending = new LinkedHashMap<>();
        final ArrayDeque<Flow> finishedFlows = new ArrayDeque<>();
        PeerTaskRequest next;
        long backoffMillis;
        boolean held;
        int holdToken;
        boolean done;
        double finishedAt;
        double idleSince = -1;

        Client(int index, double up, double down) {
            this.index = index;
            this.cid = "peer-" + index;
            this.node = new Node(up, down);
            this.next = PeerTaskRequest.first(cid, TASK);
        }
    }

    // ---- events ------------------------------------------------------------------------------

    private record Event(double at, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Double.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Event> events = new PriorityQueue<>();
    private long seq;
    private double now;
    private final Swarm swarm;
    private final Scheduler scheduler;
    private final double waitTimeout;
    private final int clientParallel;
    private final Node cdn;
    private final List<Client> clients = new ArrayList<>();
    private final Map<String, Client> byCid = new HashMap<>();
    private final List<Client> heldClients = new ArrayList<>();
    private final List<List<Client>> holdersOf = new ArrayList<>();
    private final int uploadsPerPeer;
    private boolean checkIdle;
    private final List<String> idleViolations = new ArrayList<>();
    private final Set<Flow> flows = new LinkedHashSet<>();
    private boolean ticking;
    private final int pieceCount;
    private int published;
    private double cdnBytes;
    private double peerBytes;
    private long polls;
    private long heldRedecisions;
    private double idlePeerSeconds;
    private int finished;

    SwarmSimulation(Swarm swarm, UnaryOperator<SupernodeConfig.Builder> config, int clientParallel) {
        this.swarm = swarm;
        this.clientParallel = clientParallel;
        SupernodeConfig cfg = config.apply(SupernodeConfig.builder(Path.of("unused")).advertiseIp("10.0.0.1"))
                .build();
        this.waitTimeout = cfg.waitTimeout().toNanos() / 1e9;
        this.uploadsPerPeer = cfg.uploadsPerPeer();
        this.scheduler = new Scheduler(cfg, 8001, () -> (long) (now * 1e9) + 1_000_000_000L, SchedulerListener.NONE);
        this.cdn = new Node(swarm.cdnUp(), Double.MAX_VALUE);
        this.pieceCount = (int) ((swarm.fileBytes() + swarm.pieceSize() - 1) / swarm.pieceSize());
    }

    /**
     * Checks, at every 602 (wait) answer, that the peer had nothing to fetch: no piece it lacks
     * had a holder with an upload slot free, nor was a piece without holders left unsent by an
     * idle CDN. Costly at large N (scans every holder); see {@link #idleViolations()}.
     */
    SwarmSimulation checkingIdle() {
        this.checkIdle = true;
        return this;
    }

    /** The waits that broke the rule, as "time peer piece holder" lines. */
    List<String> idleViolations() {
        return idleViolations;
    }

    private void checkNothingToFetch(Client c) {
        for (int n = 0; n < published; n++) {
            if (c.have.get(n) || c.running.containsKey(n)) {
                continue;
            }
            for (Client h : holdersOf.get(n)) {
                if (h != c && h.node.ups.size() < uploadsPerPeer) {
                    idleViolations.add(String.format("%.3f s: %s waits, %s holds piece %d with %d of %d uploads",
                            now, c.cid, h.cid, n, h.node.ups.size(), uploadsPerPeer));
                    return;
                }
            }
        }
    }

    Result run() {
        scheduler.createTask(TASK, swarm.pieceSize());
        for (int n = 0; n < pieceCount; n++) {
            holdersOf.add(new ArrayList<>());
        }
        Random r = new Random(swarm.seed());
        for (int i = 0; i < swarm.peers(); i++) {
            Client c = new Client(i, swarm.up()[i], swarm.down()[i]);
            clients.add(c);
            byCid.put(c.cid, c);
            double start = r.nextDouble() * swarm.startJitterSeconds();
            at(start, () -> {
                scheduler.addPeer(TASK, new PeerRef(c.cid, "10.1." + (c.index / 250) + "." + (c.index % 250), 15000,
                        "/peer/file/" + c.cid));
                clientPoll(c);
            });
        }
        // The CDN ingests the source in order and publishes each piece as it lands.
        for (int n = 0; n < pieceCount; n++) {
            int piece = n;
            at(Math.min(swarm.fileBytes(), (long) (n + 1) * swarm.pieceSize()) / swarm.sourceRate(), () -> publish(piece));
        }
        while (!events.isEmpty() && finished < clients.size()) {
            Event e = events.poll();
            now = Math.max(now, e.at);
            e.action.run();
            if (now > 3600) {
                throw new IllegalStateException("the swarm did not finish within an hour of virtual time: "
                        + finished + " of " + clients.size() + " peers done");
            }
        }
        if (finished < clients.size()) {
            throw new IllegalStateException("the simulation stalled: " + finished + " of " + clients.size()
                    + " peers done at " + now + " s, no event left");
        }
        if (System.getProperty("swarm.sim.debug") != null) {
            for (Client c : clients) {
                System.out.printf("  %s up %.1f down %.1f finished %.2f%n", c.cid, c.node.up / MIB, c.node.down / MIB,
                        c.finishedAt);
            }
        }
        double[] times = clients.stream().mapToDouble(c -> c.finishedAt).sorted().toArray();
        return new Result(times[times.length - 1], swarm.lowerBound(), cdnBytes / swarm.fileBytes(),
                peerBytes / (peerBytes + cdnBytes), times[(times.length - 1) / 2], polls, heldRedecisions,
                idlePeerSeconds);
    }

    private void at(double t, Runnable action) {
        events.add(new Event(t, seq++, action));
    }

    // ---- the CDN -----------------------------------------------------------------------------

    private void publish(int n) {
        PieceInfo info = new PieceInfo(String.format("%032x", n), String.format("%064x", n), bytesOf(n) + 5);
        scheduler.piecePublished(TASK, n, info);
        published++;
        if (published == pieceCount) {
            scheduler.cdnCompleted(TASK, pieceCount, swarm.fileBytes() + 5L * pieceCount, "0".repeat(32));
        }
        changed();
    }

    private int bytesOf(int n) {
        return (int) Math.min(swarm.pieceSize(), swarm.fileBytes() - (long) n * swarm.pieceSize());
    }

    // ---- the client --------------------------------------------------------------------------

    /** One turn of P2pSession's loop: poll with the pending report, start pieces, wait. */
    private void clientPoll(Client c) {
        polls++;
        Decision d = scheduler.poll(c.next);
        answer(c, d);
    }

    private void answer(Client c, Decision d) {
        if (d instanceof Decision.Finished) {
            c.done = true;
            c.finishedAt = now;
            finished++;
            return;
        }
        if (d instanceof Decision.Wait) {
            if (checkIdle) {
                checkNothingToFetch(c);
            }
            if (c.idleSince < 0) {
                c.idleSince = now;
            }
            if (waitTimeout > 0) {
                c.held = true;
                int token = ++c.holdToken;
                heldClients.add(c);
                at(now + waitTimeout, () -> holdExpired(c, token));
                return;
            }
        } else if (d instanceof Decision.Pieces p) {
            for (PieceTask t : p.pieces()) {
                if (c.have.get(t.pieceNum())) {
                    // As dfget: say we hold it (the supernode forgot) instead of ignoring it.
                    scheduler.pieceSucceeded(TASK, c.cid, t.range());
                } else if (!c.running.containsKey(t.pieceNum())) {
                    c.pending.remove(t.pieceNum());
                    c.pending.put(t.pieceNum(), t);
                }
            }
        } else {
            throw new IllegalStateException("peer " + c.cid + " was told " + d);
        }
        startPending(c);
        if (c.running.isEmpty()) {
            c.backoffMillis = c.backoffMillis == 0 ? 50 : Math.min(1000, c.backoffMillis * 2);
            if (c.idleSince < 0) {
                c.idleSince = now;
            }
            at(now + c.backoffMillis / 1000.0, () -> clientPoll(c));
        } else if (!c.finishedFlows.isEmpty()) {
            handle(c, c.finishedFlows.poll());
        }
    }

    private void holdExpired(Client c, int token) {
        if (c.held && c.holdToken == token) {
            c.held = false;
            heldClients.remove(c);
            answer(c, scheduler.decide(TASK, c.cid));
        }
    }

    /** The task changed: held polls are decided again, as the API's nextChange waiters are. */
    private void changed() {
        if (heldClients.isEmpty()) {
            return;
        }
        List<Client> waiting = new ArrayList<>(heldClients);
        for (Client c : waiting) {
            if (!c.held) {
                continue;
            }
            heldRedecisions++;
            Decision d = scheduler.decide(TASK, c.cid);
            if (!(d instanceof Decision.Wait)) {
                c.held = false;
                heldClients.remove(c);
                answer(c, d);
            }
        }
    }

    private void startPending(Client c) {
        while (c.running.size() < clientParallel && !c.pending.isEmpty()) {
            var it = c.pending.values().iterator();
            PieceTask t = it.next();
            it.remove();
            Node src = t.fromSupernode() ? cdn : byCid.get(t.cid()).node;
            Flow f = new Flow(src, c, t.pieceNum(), t.cid(), bytesOf(t.pieceNum()), now);
            c.running.put(t.pieceNum(), f);
            if (c.idleSince >= 0) {
                idlePeerSeconds += now - c.idleSince;
                c.idleSince = -1;
            }
            src.ups.add(f);
            c.node.downs.add(f);
            flows.add(f);
            startTicking();
        }
    }

    private void flowDone(Flow f) {
        Client c = f.dst;
        f.src.ups.remove(f);
        c.node.downs.remove(f);
        flows.remove(f);
        if (f.src == cdn) {
            cdnBytes += bytesOf(f.piece);
        } else {
            peerBytes += bytesOf(f.piece);
        }
        c.finishedFlows.add(f);
        if (!c.held && c.finishedFlows.size() == 1) {
            handle(c, c.finishedFlows.poll());
        }
    }

    /** P2pSession.handle: mark the piece, /peer/piece/suc, then the next poll carries the 503 report. */
    private void handle(Client c, Flow f) {
        c.running.remove(f.piece);
        c.have.set(f.piece);
        holdersOf.get(f.piece).add(c);
        String range = PieceRange.of(f.piece, swarm.pieceSize()).toString();
        scheduler.pieceSucceeded(TASK, c.cid, range);
        c.backoffMillis = 0;
        c.next = new PeerTaskRequest(c.cid, f.srcCid, TASK, range, PeerTaskStatus.RUNNING, PieceResult.SEMI_SUCCESS);
        changed();
        clientPoll(c);
    }

    // ---- rates -------------------------------------------------------------------------------

    private void startTicking() {
        if (!ticking) {
            ticking = true;
            at(Math.ceil(now / TICK + 1e-9) * TICK, this::tick);
        }
    }

    /** Allots rates, moves every transfer on by one tick, schedules the ones that end within it. */
    private void tick() {
        allot();
        for (Flow f : flows) {
            if (f.completing) {
                continue;
            }
            if (f.remaining <= f.rate * TICK) {
                f.completing = true;
                at(now + f.remaining / f.rate, () -> flowDone(f));
            } else {
                f.remaining -= f.rate * TICK;
            }
        }
        if (flows.isEmpty()) {
            ticking = false;
        } else {
            at(now + TICK, this::tick);
        }
    }

    private void allot() {
        for (Flow f : flows) {
            f.grant = Double.MAX_VALUE;
        }
        for (int round = 0; round < 3; round++) {
            for (Client c : clients) {
                waterFill(c.node.down, c.node.downs, true);
            }
            waterFill(cdn.up, cdn.ups, false);
            for (Client c : clients) {
                waterFill(c.node.up, c.node.ups, false);
            }
        }
        for (Flow f : flows) {
            if (!f.completing) {
                f.rate = f.grant;
            }
        }
    }

    /**
     * Splits {@code capacity} over {@code set} max-min fairly, each flow capped by what the other
     * end gives it (the sender's grant when splitting a download, the receiver's offer otherwise).
     * A flow already ending within this tick keeps its rate, which is taken off the capacity.
     */
    private static void waterFill(double capacity, Set<Flow> set, boolean download) {
        if (set.isEmpty()) {
            return;
        }
        double left = capacity;
        List<Flow> open = new ArrayList<>(set.size());
        for (Flow f : set) {
            if (f.completing) {
                left -= f.rate;
                if (download) {
                    f.offer = f.rate;
                } else {
                    f.grant = f.rate;
                }
            } else {
                open.add(f);
            }
        }
        open.sort(download ? BY_GRANT : BY_OFFER);
        int count = open.size();
        for (Flow f : open) {
            double share = Math.max(0, left) / count;
            double cap = download ? f.grant : f.offer;
            double give = Math.min(cap, share);
            if (download) {
                f.offer = give;
            } else {
                f.grant = give;
            }
            left -= give;
            count--;
        }
    }

    private static final java.util.Comparator<Flow> BY_GRANT = java.util.Comparator.comparingDouble(f -> f.grant);
    private static final java.util.Comparator<Flow> BY_OFFER = java.util.Comparator.comparingDouble(f -> f.offer);
}
