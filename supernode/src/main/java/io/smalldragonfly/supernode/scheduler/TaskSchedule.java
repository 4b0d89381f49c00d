package io.smalldragonfly.supernode.scheduler;

import io.smalldragonfly.common.piece.PieceRange;
import io.smalldragonfly.common.protocol.CdnNode;
import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.protocol.TaskFinish;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The piece state of one task: which pieces the CDN has, which peer holds which piece, what is in
 * flight between whom. Every method runs under this object's monitor (one owner per task; tasks
 * are independent), and nothing here blocks or does I/O, so a decision takes microseconds.
 */
final class TaskSchedule {

    /** A piece handed to a downloader and not yet reported; {@code holder} null means the CDN. */
    private record InFlight(Peer holder, long sinceNanos) {}

    /** One peer's participation in this task, as downloader and as holder. */
    static final class Peer {
        final PeerRef ref;
        final BitSet have = new BitSet();
        /**
         * Pieces it reported holding before the CDN published them: a peer that failed over from
         * another supernode (or re-registered after a restart) announces what it has at once; it
         * becomes their holder the moment the CDN publishes them (their digests come from there).
         */
        final BitSet early = new BitSet();
        final Map<Integer, InFlight> inFlight = new LinkedHashMap<>();
        int haveCount;
        int uploads;
        boolean down;
        boolean demoted;
        int salt;

        Peer(PeerRef ref) {
            this.ref = ref;
            this.salt = ref.cid().hashCode() & 0x7fffffff;
        }

        boolean holder() {
            return !down && !demoted;
        }
    }

    /** Early reports beyond this piece number are ignored: 8 KiB per peer at most (256 GiB files at 4 MiB pieces). */
    private static final int MAX_EARLY_PIECE = 1 << 16;

    private final String taskId;
    private final int pieceSize;
    private final Scheduler owner;
    private final String cdnCid;
    private final String cdnPath;

    private final List<PieceInfo> pieces = new ArrayList<>();
    private final List<List<Peer>> holders = new ArrayList<>();
    private int[] cdnInFlight = new int[16];
    private long[] cdnInFlightSince = new long[16];
    private int[] pending = new int[16];
    private int published;
    private int pieceCount = -1;
    private CdnState cdnState = CdnState.RUNNING;
    private String cdnFailure;
    private long framedLength = -1;
    private String md5;
    private final Map<String, Peer> peers = new HashMap<>();
    private List<CompletableFuture<Void>> waiters = new ArrayList<>();
    long lastAccessNanos;

    TaskSchedule(String taskId, int pieceSize, Scheduler owner, long now) {
        this.taskId = taskId;
        this.pieceSize = pieceSize;
        this.owner = owner;
        this.cdnCid = CdnNode.cid(owner.cdnIp(), taskId);
        this.cdnPath = CdnNode.path(taskId);
        this.lastAccessNanos = now;
    }

    int pieceSize() {
        return pieceSize;
    }

    // ---- CDN side ----------------------------------------------------------------------------

    synchronized List<CompletableFuture<Void>> publish(int pieceNum, PieceInfo info) {
        if (pieceNum < 0) {
            throw new IllegalArgumentException("pieceNum: " + pieceNum + " (expected >= 0)");
        }
        ensureCapacity(pieceNum + 1);
        if (pieces.get(pieceNum) == null) {
            published++;
        }
        pieces.set(pieceNum, info);
        for (Peer p : peers.values()) {
            if (p.early.get(pieceNum)) {
                p.early.clear(pieceNum);
                if (!p.have.get(pieceNum)) {
                    p.have.set(pieceNum);
                    p.haveCount++;
                    if (p.holder()) {
                        holders.get(pieceNum).add(p);
                    }
                }
            }
        }
        return takeWaiters();
    }

    synchronized List<CompletableFuture<Void>> complete(int count, long framed, String contentMd5) {
        ensureCapacity(count);
        this.pieceCount = count;
        this.framedLength = framed;
        this.md5 = contentMd5;
        this.cdnState = CdnState.SUCCESS;
        return takeWaiters();
    }

    synchronized List<CompletableFuture<Void>> fail(String reason) {
        this.cdnState = CdnState.FAILED;
        this.cdnFailure = reason;
        return takeWaiters();
    }

    /** The CDN restarts the task (a new fetch after a failure or a changed source): forget its pieces. */
    synchronized void reset() {
        pieces.replaceAll(p -> null);
        published = 0;
        pieceCount = -1;
        framedLength = -1;
        md5 = null;
        cdnState = CdnState.RUNNING;
        cdnFailure = null;
        for (Peer p : peers.values()) {
            p.have.clear();
            p.early.clear();
            p.haveCount = 0;
            p.inFlight.clear();
            p.uploads = 0;
        }
        holders.forEach(List::clear);
        Arrays.fill(cdnInFlight, 0);
        Arrays.fill(pending, 0);
    }

    synchronized CdnState cdnState() {
        return cdnState;
    }

    // ---- peers -------------------------------------------------------------------------------

    synchronized void addPeer(PeerRef ref, long now) {
        lastAccessNanos = now;
        Peer existing = peers.get(ref.cid());
        if (existing != null && existing.ref.equals(ref)) {
            if (existing.down) {
                // Registering again after service/down: it serves what it holds once more.
                existing.down = false;
                if (!existing.demoted) {
                    for (int i = existing.have.nextSetBit(0); i >= 0; i = existing.have.nextSetBit(i + 1)) {
                        holders.get(i).add(existing);
                    }
                }
            }
            return;
        }
        Peer p = new Peer(ref);
        if (existing != null) {
            // Re-registration with a new address: keep what it holds, drop what was in flight.
            releaseAll(existing);
            p.have.or(existing.have);
            p.early.or(existing.early);
            p.haveCount = existing.haveCount;
            for (int i = existing.have.nextSetBit(0); i >= 0; i = existing.have.nextSetBit(i + 1)) {
                List<Peer> h = holders.get(i);
                h.remove(existing);
                h.add(p);
            }
        }
        peers.put(ref.cid(), p);
    }

    synchronized boolean hasPeer(String cid) {
        return peers.containsKey(cid);
    }

    synchronized int peerCount() {
        return peers.size();
    }

    synchronized List<CompletableFuture<Void>> serviceDown(String cid) {
        Peer p = peers.get(cid);
        if (p == null) {
            return List.of();
        }
        p.down = true;
        removeAsHolder(p);
        releaseAll(p);
        return takeWaiters();
    }

    synchronized List<CompletableFuture<Void>> removePeer(String cid) {
        Peer p = peers.remove(cid);
        if (p == null) {
            return List.of();
        }
        removeAsHolder(p);
        releaseAll(p);
        return takeWaiters();
    }

    // ---- reports -----------------------------------------------------------------------------

    int pieceNumOf(String range) {
        int n = PieceRange.parse(range).pieceNum(pieceSize);
        synchronized (this) {
            if (pieceCount >= 0 && n >= pieceCount) {
                throw new ProtocolException("range: " + range + " (expected a piece of this task, 0.."
                        + (pieceCount - 1) + ")");
            }
        }
        return n;
    }

    /** {@code cid} holds piece {@code n} now (from {@code /peer/piece/suc} or a 501/503 poll). */
    synchronized List<CompletableFuture<Void>> success(String cid, int n, long now) {
        Peer p = requirePeer(cid);
        lastAccessNanos = now;
        release(p, n);
        if (n >= pieces.size() || pieces.get(n) == null) {
            // Not published yet: remembered, and counted only once the CDN has it (a report of a
            // piece the file turns out not to have is then never counted).
            if (pieceCount < 0 ? n < MAX_EARLY_PIECE : n < pieceCount) {
                p.early.set(n);
            }
            return takeWaiters();
        }
        if (!p.have.get(n)) {
            p.have.set(n);
            p.haveCount++;
            if (p.holder()) {
                holders.get(n).add(p);
            }
        }
        return takeWaiters();
    }

    /** {@code cid} could not get piece {@code n} from {@code dstCid}. */
    synchronized List<CompletableFuture<Void>> failure(String cid, int n, String dstCid, PieceErrorType type,
                                                      long now) {
        Peer p = requirePeer(cid);
        lastAccessNanos = now;
        InFlight released = release(p, n);
        Peer holder = dstCid == null ? null : peers.get(dstCid);
        if (holder != null && holder != p) {
            if (type == PieceErrorType.FILE_MD5_NOT_MATCH) {
                // Bad bytes: this holder is no longer trusted for anything of this task.
                holder.demoted = true;
                removeAsHolder(holder);
            } else {
                holder.early.clear(n);
                if (n < holders.size() && holder.have.get(n)) {
                    holders.get(n).remove(holder);
                    holder.have.clear(n);
                    holder.haveCount--;
                }
                // The original client may report one failure twice (piece/error and a 500 poll):
                // it counts against the holder only while the piece was in flight from it.
                if (released != null && released.holder() == holder) {
                    owner.recordFailure(holder.ref.cid());
                }
            }
        }
        return takeWaiters();
    }

    /** Releases in-flight pieces handed out longer than the piece timeout ago (the peer never reported). */
    synchronized List<CompletableFuture<Void>> expireInFlight(long now, long timeoutNanos) {
        boolean any = false;
        for (Peer p : peers.values()) {
            Iterator<Map.Entry<Integer, InFlight>> it = p.inFlight.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<Integer, InFlight> e = it.next();
                if (now - e.getValue().sinceNanos() >= timeoutNanos) {
                    it.remove();
                    unload(e.getKey(), e.getValue());
                    any = true;
                }
            }
        }
        return any ? takeWaiters() : List.of();
    }

    // ---- the decision ------------------------------------------------------------------------

    synchronized Decision decide(String cid, long now) {
        Peer r = requirePeer(cid);
        lastAccessNanos = now;
        if (cdnState == CdnState.FAILED) {
            return new Decision.Failed(ResultCode.CDN_FAIL, "cdn failed to fetch the source: " + cdnFailure);
        }
        if (cdnState == CdnState.SUCCESS && r.haveCount >= pieceCount) {
            return new Decision.Finished(new TaskFinish(framedLength, md5));
        }
        int slots = Math.min(owner.piecesPerAnswer(), owner.maxInFlight() - r.inFlight.size());
        List<PieceTask> out = new ArrayList<>(Math.max(0, slots));
        int fromCdn = 0;
        String blocked = null;
        if (slots > 0 && published > r.haveCount) {
            long[] keys = candidates(r);
            for (int i = 0; i < keys.length && out.size() < slots; i++) {
                int n = (int) (keys[i] & 0xffffffffL);
                Peer holder = bestHolder(n, r);
                if (holder != null) {
                    out.add(assign(r, n, holder, now));
                } else if (cdnAllowed(n, now)) {
                    out.add(assign(r, n, null, now));
                    fromCdn++;
                } else if (blocked == null) {
                    blocked = "piece " + n + " is being fetched by a peer or its holders are busy";
                }
            }
        }
        if (!out.isEmpty()) {
            owner.listener().scheduled(true, fromCdn);
            owner.listener().scheduled(false, out.size() - fromCdn);
            return new Decision.Pieces(out, false);
        }
        if (!r.inFlight.isEmpty()) {
            // As the original: repeat what the peer is fetching rather than make it sleep on a 602;
            // its client skips pieces it is already running.
            List<PieceTask> again = new ArrayList<>(r.inFlight.size());
            r.inFlight.forEach((n, f) -> again.add(pieceTask(n, f.holder())));
            return new Decision.Pieces(again, true);
        }
        String reason = slots <= 0 ? "in-flight limit " + owner.maxInFlight() + " reached"
                : published <= r.haveCount ? "no new piece cached yet"
                : blocked != null ? blocked : "no holder available";
        return new Decision.Wait("client sucCount:" + r.haveCount + ",cdn status:" + cdnState
                + ",cdn sucCount:" + published + "," + reason);
    }

    /** Published pieces {@code r} lacks and is not fetching, rarest first, as (key << 32 | pieceNum). */
    private long[] candidates(Peer r) {
        long[] keys = new long[published];
        int k = 0;
        int size = pieces.size();
        // Ties are broken by a per-peer rotation so that equally rare pieces spread over peers.
        int rot = size == 0 ? 0 : r.salt % size;
        for (int n = 0; n < size; n++) {
            if (pieces.get(n) == null || r.have.get(n) || r.inFlight.containsKey(n)) {
                continue;
            }
            long rarity = Math.min(0x7fff, holders.get(n).size() + (long) pending[n]);
            long order = ((n - rot + size) % size) & 0xffff; // a tie-break only: 16 bits are plenty
            keys[k++] = (rarity << 48) | (order << 32) | n;
        }
        keys = k == keys.length ? keys : Arrays.copyOf(keys, k);
        Arrays.sort(keys);
        return keys;
    }

    /** The least-loaded healthy peer holding piece {@code n} with an upload slot free, or null. */
    private Peer bestHolder(int n, Peer r) {
        List<Peer> h = holders.get(n);
        int size = h.size();
        if (size == 0) {
            return null;
        }
        Peer best = null;
        int start = r.salt % size;
        for (int i = 0; i < size; i++) {
            Peer p = h.get((start + i) % size);
            if (p == r || p.uploads >= owner.uploadsPerPeer() || !owner.usable(p.ref.cid())) {
                continue;
            }
            if (best == null || p.uploads < best.uploads) {
                best = p;
                if (p.uploads == 0) {
                    break;
                }
            }
        }
        return best;
    }

    /**
     * The CDN serves a piece only while no healthy peer holds it, and not a second time while a
     * first copy is on its way to a peer (unless that takes longer than cdnDuplicateAfter).
     */
    private boolean cdnAllowed(int n, long now) {
        for (Peer p : holders.get(n)) {
            if (owner.usable(p.ref.cid())) {
                return false;
            }
        }
        return cdnInFlight[n] == 0 || now - cdnInFlightSince[n] >= owner.cdnDuplicateAfterNanos();
    }

    private PieceTask assign(Peer r, int n, Peer holder, long now) {
        r.inFlight.put(n, new InFlight(holder, now));
        pending[n]++;
        if (holder != null) {
            holder.uploads++;
        } else {
            cdnInFlight[n]++;
            cdnInFlightSince[n] = now;
        }
        return pieceTask(n, holder);
    }

    private PieceTask pieceTask(int n, Peer holder) {
        PieceInfo info = pieces.get(n);
        String range = PieceRange.of(n, pieceSize).toString();
        if (holder == null) {
            return new PieceTask(range, n, pieceSize, info.wireMd5(), cdnCid, owner.cdnIp(), owner.cdnPort(),
                    cdnPath, owner.downLinkKbps(), info.sha256());
        }
        return new PieceTask(range, n, pieceSize, info.wireMd5(), holder.ref.cid(), holder.ref.ip(),
                holder.ref.port(), holder.ref.path(), owner.downLinkKbps(), info.sha256());
    }

    // ---- bookkeeping -------------------------------------------------------------------------

    private InFlight release(Peer p, int n) {
        InFlight f = p.inFlight.remove(n);
        if (f != null) {
            unload(n, f);
        }
        return f;
    }

    private void unload(int n, InFlight f) {
        pending[n]--;
        if (f.holder() != null) {
            f.holder().uploads--;
        } else {
            cdnInFlight[n]--;
        }
    }

    private void releaseAll(Peer p) {
        p.inFlight.forEach(this::unload);
        p.inFlight.clear();
    }

    private void removeAsHolder(Peer p) {
        for (int i = p.have.nextSetBit(0); i >= 0 && i < holders.size(); i = p.have.nextSetBit(i + 1)) {
            holders.get(i).remove(p);
        }
    }

    private Peer requirePeer(String cid) {
        Peer p = peers.get(cid);
        if (p == null) {
            throw new UnknownPeerException("cid: '" + cid + "' is not registered for task " + taskId
                    + " (expected POST /peer/registry first)");
        }
        return p;
    }

    private void ensureCapacity(int count) {
        while (pieces.size() < count) {
            pieces.add(null);
            holders.add(new ArrayList<>(2));
        }
        if (cdnInFlight.length < count) {
            int cap = Math.max(count, cdnInFlight.length * 2);
            cdnInFlight = Arrays.copyOf(cdnInFlight, cap);
            cdnInFlightSince = Arrays.copyOf(cdnInFlightSince, cap);
            pending = Arrays.copyOf(pending, cap);
        }
    }

    /** Waiters are completed by the caller, outside this monitor. */
    private List<CompletableFuture<Void>> takeWaiters() {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<Void>> w = waiters;
        waiters = new ArrayList<>();
        return w;
    }

    synchronized CompletableFuture<Void> nextChange() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiters.add(f);
        return f;
    }

    // ---- views -------------------------------------------------------------------------------

    synchronized TaskView view() {
        List<TaskView.PeerView> pv = new ArrayList<>();
        peers.values().forEach(p -> pv.add(new TaskView.PeerView(p.ref.cid(), p.ref.ip(), p.ref.port(),
                p.haveCount, p.inFlight.size(), p.uploads, p.down, p.demoted)));
        return new TaskView(taskId, pieceSize, cdnState, published, pieceCount, framedLength, md5, pv);
    }

    synchronized boolean busy() {
        for (Peer p : peers.values()) {
            if (!p.inFlight.isEmpty()) {
                return true;
            }
        }
        return cdnState == CdnState.RUNNING;
    }

    synchronized List<String> peerIds() {
        return new ArrayList<>(peers.keySet());
    }

    synchronized boolean peerHolds(String cid) {
        Peer p = peers.get(cid);
        return p != null && p.haveCount > 0 && p.holder();
    }
}
