package io.smalldragonfly.dfget.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import io.smalldragonfly.common.Version;
import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.piece.PieceRange;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.CdnNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PeerTaskStatus;
import io.smalldragonfly.common.protocol.PieceErrorReport;
import io.smalldragonfly.common.protocol.PieceResult;
import io.smalldragonfly.common.protocol.PieceSuccessReport;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.RegisterRequest;
import io.smalldragonfly.common.protocol.RegisterResult;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.protocol.TaskFinish;
import io.smalldragonfly.dfget.store.TaskMeta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The P2P half of a download (PROTOCOL.md): register with a supernode (the task's rendezvous order,
 * {@link SupernodeAddress#orderFor}, failing over to the next and announcing the pieces held there;
 * docs/cluster.md), then poll {@code /peer/task} — first 700/502, then 701/503 (or 701/500) with the
 * piece just finished, as the original client — fetching the assigned pieces a few at a time,
 * reporting each to {@code /peer/piece/suc} or {@code /peer/piece/error}, until the 600 answer.
 *
 * <p>Phases: REGISTERING until a supernode takes the task, then P2P; back to REGISTERING when
 * that supernode stops answering (the task's next one). It works on the download's
 * {@link DownloadContext}.
 *
 * <p>Threading: this loop runs on the download's thread and owns the scheduling state
 * ({@code inflight}, {@code pending}); piece workers only write their piece and post an outcome
 * to {@code events}.
 */
final class P2pSession {

    private static final Logger log = LoggerFactory.getLogger(P2pSession.class);
    private static final TypeReference<List<PieceTask>> PIECES = new TypeReference<>() {};
    /** Failures of one peer after which its assignments go to the CDN instead, when it is known. */
    private static final int BAD_PEER_FAILURES = 2;
    /** Failures of one piece after which the supernode is given up for the source. */
    private static final int MAX_PIECE_FAILURES = 10;
    /** How long a supernode may not answer before the task's next one is tried. */
    private static final long FAILOVER_AFTER_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Registrations in a row at a supernode that keeps forgetting the task before giving it up. */
    private static final int MAX_REJOINS = 3;

    private final DownloadContext ctx;
    private final Map<Integer, PieceTask> inflight = new HashMap<>();
    private final LinkedHashMap<Integer, PieceTask> pending = new LinkedHashMap<>();
    private final BlockingQueue<PieceOutcome> events = new LinkedBlockingQueue<>();
    private final Map<String, Integer> peerFailures = new HashMap<>();
    private final Map<Integer, Integer> pieceFailures = new HashMap<>();
    private boolean[] candidates = new boolean[0]; // on disk from an earlier run, not yet verified
    private PieceTask cdnTemplate;
    /** CDN mode before the CDN named itself: try {@code request.cdnPort} until that fails once. */
    private boolean guessCdn;
    private int pieceSize;
    private SupernodeClient sn;
    private String snTaskId;
    /** Registrations in a row because the supernode forgot the task (reset by an answered poll). */
    private int rejoins;
    /** The next wait for an outcome while nothing is in flight, growing while the supernode has nothing. */
    private long idleBackoffMillis;

    P2pSession(DownloadContext ctx) {
        this.ctx = ctx;
        this.guessCdn = ctx.request.pattern() == Pattern.CDN && ctx.request.cdnPort() > 0;
    }

    TaskFinish run() throws DownloadException {
        try {
            return runOnNodes();
        } finally {
            drainInflight();
        }
    }

    private TaskFinish runOnNodes() throws DownloadException {
        List<SupernodeAddress> order = SupernodeAddress.orderFor(ctx.taskId, ctx.request.nodes());
        ctx.moveTo(DownloadPhase.REGISTERING);
        boolean registered = false;
        DownloadException last = null;
        for (SupernodeAddress node : order) {
            ctx.checkAlive();
            useNode(node);
            RegisterResult reg;
            try {
                reg = register();
            } catch (IOException e) {
                log.warn("supernode {} did not answer the registration: {}", node, e.getMessage());
                continue;
            } catch (DownloadException e) {
                last = e;
                continue;
            }
            boolean failover = registered;
            registered = true;
            ctx.supernode(node.hostPort());
            try {
                prepare(reg);
                ctx.moveTo(DownloadPhase.P2P);
                if (failover) {
                    log.info("failed over to supernode {} (the task's next in --node order)", node);
                }
                announceHeld();
                return loop();
            } catch (FailoverException e) {
                log.warn("supernode {} stopped answering ({}); trying the next one", node, e.getMessage());
                ctx.moveTo(DownloadPhase.REGISTERING);
            }
        }
        if (last != null) {
            throw last;
        }
        throw new DownloadException(Failure.NO_SUPERNODE, registered
                ? "every supernode stopped answering (" + order + ")"
                : "no supernode answered (" + order + ")");
    }

    /** Talks to {@code node} from now on; assignments of the previous supernode (its peers, its CDN) are void. */
    private void useNode(SupernodeAddress node) {
        sn = new SupernodeClient(node);
        pending.clear();
        cdnTemplate = null;
        guessCdn = ctx.request.pattern() == Pattern.CDN && ctx.request.cdnPort() > 0;
    }

    /**
     * Tells the supernode every piece already here (after a failover, or registering again at a
     * restarted supernode), so that it makes this peer their holder at once instead of sending other
     * peers to its CDN, and never assigns them to this peer. Pieces still unverified from an earlier
     * run are left to the usual check when assigned.
     */
    private void announceHeld() {
        int extent = ctx.work.map().extent();
        int told = 0;
        for (int n = 0; n < extent; n++) {
            if (!ctx.tracker.has(n)) {
                continue;
            }
            try {
                sn.reportSuccess(new PieceSuccessReport(snTaskId, ctx.cid, ctx.cid,
                        PieceRange.of(n, pieceSize).toString()));
                told++;
            } catch (IOException e) {
                log.warn("announcing held piece {} to {} failed: {}", n, sn.node(), e.getMessage());
                break; // the poll finds out whether the supernode is gone
            }
        }
        if (told > 0) {
            log.info("announced {} held piece(s) to supernode {}", told, sn.node());
        }
    }

    /** The supernode forgot the task or this peer (restarted on its cache, or evicted it): join again there. */
    private void rejoin() throws DownloadException, FailoverException {
        RegisterResult reg;
        try {
            reg = register();
        } catch (IOException e) {
            throw new FailoverException("registering again failed: " + e.getMessage());
        }
        pending.clear();
        prepare(reg);
        announceHeld();
    }

    private RegisterResult register() throws IOException, DownloadException {
        DownloadRequest r = ctx.request;
        EngineConfig c = ctx.engine.config();
        RegisterRequest req = new RegisterRequest(ctx.cid, ctx.engine.peerIp(ctx.request), c.hostName(), sn.node().host(), c.uploadPort(),
                "/peer/file/" + ctx.taskFileName, r.callSystem(), Version.CURRENT, r.dfdaemon(), r.url(), r.taskUrl(),
                r.md5(), r.identifier(), r.headers(), r.insecure(), List.of());
        ctx.event("register_sent");
        ApiResponse res = sn.register(req);
        ctx.event("register_answer", "code", res.code());
        ResultCode code;
        try {
            code = res.resultCode();
        } catch (ProtocolException e) {
            throw new IOException(e.getMessage(), e);
        }
        switch (code) {
            case OK -> {
                try {
                    return res.data(RegisterResult.class);
                } catch (ProtocolException e) {
                    throw new IOException("registration answer: " + e.getMessage(), e);
                }
            }
            case SYSTEM_ERROR, UNKNOWN_ERROR -> throw new IOException("supernode " + sn.node()
                    + " answered " + res.code() + " " + res.msg());
            default -> throw new DownloadException(Failure.SOURCE_ERROR, "supernode " + sn.node()
                    + " refused the task: " + res.code() + " " + (res.msg() == null ? code : res.msg()));
        }
    }

    private void prepare(RegisterResult reg) throws DownloadException {
        snTaskId = reg.taskId();
        if (!snTaskId.equals(ctx.taskId)) {
            log.info("supernode task id {} differs from the local {}", snTaskId, ctx.taskId);
        }
        pieceSize = reg.pieceSize();
        long length = reg.fileLength() >= 0 ? reg.fileLength() : -1;
        try {
            PieceFraming.header(0, pieceSize);
        } catch (ProtocolException e) {
            throw new DownloadException(Failure.SOURCE_ERROR, "supernode gave " + e.getMessage());
        }
        boolean fresh;
        try {
            fresh = ctx.work.open(pieceSize, length);
        } catch (IOException e) {
            throw new DownloadException(Failure.LOCAL_ERROR, e.getMessage(), e);
        }
        ctx.tracker.usePieces(pieceSize, length, fresh);
        int extent = ctx.work.map().extent();
        candidates = new boolean[extent];
        for (int n = 0; n < extent; n++) {
            candidates[n] = ctx.work.map().contentLength(n) >= 0 && !ctx.tracker.has(n);
        }
        if (ctx.engine.config().uploadPort() > 0) {
            ctx.work.link(ctx.engine.dataDir(), ctx.taskFileName,
                    new TaskMeta(snTaskId, ctx.cid, sn.node().hostPort(), ctx.request.url()));
        }
        if (ctx.request.md5() != null) {
            ctx.startDigest(); // the user's --md5 is checked against the bytes themselves, overlapping the download
        }
        ctx.started(length);
        // no query string in the log: signed URLs carry credentials there (dfdaemon's logs must not)
        String url = ctx.request.url();
        ctx.event("registered", "pieceSize", pieceSize);
        log.info("registered {} with supernode {}: task {} length {} pieceSize {}",
                url.indexOf('?') < 0 ? url : url.substring(0, url.indexOf('?')) + "?…", sn.node(),
                snTaskId, length, pieceSize);
    }

    /** The P2P phase at one supernode: poll, queue what it assigns, fetch, report, until it says 600. */
    private TaskFinish loop() throws DownloadException, FailoverException {
        PeerTaskRequest next = PeerTaskRequest.first(ctx.cid, snTaskId);
        rejoins = 0;
        idleBackoffMillis = 0;
        while (true) {
            ctx.checkAlive();
            ApiResponse answer = pollOrRejoin(next);
            if (answer == null) {
                next = PeerTaskRequest.first(ctx.cid, snTaskId); // registered again: start over there
                continue;
            }
            TaskFinish finish = onAnswer(answer);
            if (finish != null) {
                return finish;
            }
            startPending();
            PieceOutcome o = awaitOutcome();
            if (o != null) {
                next = handle(o);
            } // else: ask again with the same report
        }
    }

    /**
     * One poll; null when the supernode had forgotten the task and this peer registered there again.
     * A supernode that keeps forgetting it is given up after {@link #MAX_REJOINS}.
     */
    private ApiResponse pollOrRejoin(PeerTaskRequest req) throws DownloadException, FailoverException {
        try {
            ctx.event("poll_sent", "inflight", inflight.size());
            ApiResponse r = poll(req);
            ctx.event("poll_answer", "code", r.code());
            rejoins = 0;
            return r;
        } catch (SupernodeClient.ForgottenException e) {
            if (++rejoins > MAX_REJOINS) {
                throw new FailoverException(e.getMessage() + ", again after registering " + MAX_REJOINS + " times");
            }
            log.warn("{}; registering there again", e.getMessage());
            rejoin();
            return null;
        }
    }

    /** Acts on a poll's answer: queues the pieces it assigns; returns the task's end when it says so (600). */
    private TaskFinish onAnswer(ApiResponse r) throws DownloadException, FailoverException {
        ResultCode code;
        try {
            code = r.resultCode();
        } catch (ProtocolException e) {
            throw new FailoverException(e.getMessage());
        }
        switch (code) {
            case PEER_CONTINUE -> {
                try {
                    queue(r.data(PIECES));
                } catch (ProtocolException e) {
                    throw new FailoverException("bad 601 answer: " + e.getMessage());
                }
            }
            case PEER_FINISH -> {
                TaskFinish f;
                try {
                    f = r.data(TaskFinish.class);
                } catch (ProtocolException e) {
                    throw new FailoverException("bad 600 answer: " + e.getMessage());
                }
                drainInflight();
                return checkFinish(f);
            }
            case PEER_WAIT, PEER_LIMITED -> { }
            default -> throw new DownloadException(Failure.SOURCE_ERROR, "supernode " + sn.node()
                    + " failed the task: " + r.code() + " " + (r.msg() == null ? code : r.msg()));
        }
        return null;
    }

    /** Queues assigned pieces not yet here nor in flight; learns the CDN's address from its assignments. */
    private void queue(List<PieceTask> tasks) {
        for (PieceTask t : tasks) {
            Timeline.piece("assigned", ctx.taskId, ctx.cid, t.pieceNum(), t.cid(), -1);
            if (t.fromSupernode() && cdnTemplate == null) {
                cdnTemplate = t;
                ctx.engine.cdnLocation(sn.node(), t.peerIp(), t.peerPort());
            }
            if (ctx.tracker.has(t.pieceNum())) {
                // The supernode thinks we lack a piece we hold (it drops a holder's piece
                // when a peer failed to fetch it, e.g. before our upload server listened):
                // say we hold it, or it would assign the piece to us forever.
                reportHeld(t);
            } else if (!inflight.containsKey(t.pieceNum())) {
                pending.remove(t.pieceNum());
                pending.put(t.pieceNum(), t);
            }
        }
    }

    /** Starts queued pieces, oldest assignment first, up to {@code parallelPieces} in flight. */
    private void startPending() {
        while (inflight.size() < ctx.engine.config().parallelPieces() && !pending.isEmpty()) {
            Iterator<PieceTask> it = pending.values().iterator();
            PieceTask t = it.next();
            it.remove();
            start(t);
        }
    }

    /**
     * The next piece outcome. With pieces in flight, waits for one; with none, waits a little
     * (50 ms doubling to 1 s while nothing comes) and returns null, so the supernode is asked again.
     */
    private PieceOutcome awaitOutcome() throws DownloadException {
        PieceOutcome o;
        if (inflight.isEmpty()) {
            idleBackoffMillis = idleBackoffMillis == 0 ? 50 : Math.min(1000, idleBackoffMillis * 2);
            o = awaitEvent(idleBackoffMillis);
            if (o == null) {
                return null;
            }
        } else {
            do {
                o = awaitEvent(250);
            } while (o == null);
        }
        idleBackoffMillis = 0;
        return o;
    }

    private PieceOutcome awaitEvent(long millis) throws DownloadException {
        ctx.checkAlive();
        try {
            return events.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(Failure.CANCELLED, "interrupted");
        }
    }

    /**
     * One poll, retried for {@link #FAILOVER_AFTER_NANOS} while the supernode does not answer: a
     * supernode restarted at once on its cache is back within that, and going elsewhere would make
     * another supernode fetch the source again. After that, the task's next supernode.
     */
    private ApiResponse poll(PeerTaskRequest req) throws FailoverException, SupernodeClient.ForgottenException {
        long giveUp = System.nanoTime() + FAILOVER_AFTER_NANOS;
        IOException last;
        for (int attempt = 0; ; attempt++) {
            try {
                return sn.poll(req);
            } catch (SupernodeClient.ForgottenException e) {
                throw e;
            } catch (IOException e) {
                last = e;
            }
            if (System.nanoTime() >= giveUp) {
                break;
            }
            try {
                Thread.sleep(Math.min(500, 100L << Math.min(attempt, 3)));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new FailoverException(last.getMessage());
    }

    private void start(PieceTask assigned) {
        int n = assigned.pieceNum();
        inflight.put(n, assigned);
        PieceTask t = route(assigned);
        boolean candidate = n < candidates.length && candidates[n];
        long framed = framedLength(t);
        long offset = (long) n * (pieceSize - PieceFraming.OVERHEAD);
        long deadline = ctx.pieceDeadline(pieceSize);
        Timeline.piece("fetch_queued", ctx.taskId, ctx.cid, n, t.cid(), -1);
        ctx.engine.executor().execute(() -> {
            Timeline.piece("fetch_start", ctx.taskId, ctx.cid, n, t.cid(), -1);
            PieceOutcome o = null;
            try {
                if (candidate) {
                    int len = ctx.work.map().contentLength(n);
                    if (len >= 0 && PieceFetcher.verifyLocal(ctx.work.channel(), offset, len, pieceSize, t)) {
                        ctx.counters.fromLocal.addAndGet(len);
                        o = PieceOutcome.ok(t, len, true);
                    } else {
                        ctx.work.map().clear(n);
                    }
                }
                if (o == null) {
                    o = ctx.fetcher.fetch(t, pieceSize, framed, ctx.work.channel(), offset, deadline, ctx::cancelled,
                            ctx.counters);
                }
                if (o.success()) {
                    ctx.work.map().mark(n, o.contentLength());
                }
            } catch (IOException e) {
                // verifying or recording a piece touches only this host's files
                o = PieceOutcome.localFailure(t, e.getMessage() == null ? e.toString() : e.getMessage());
            } catch (RuntimeException e) {
                o = PieceOutcome.failed(t, io.smalldragonfly.common.protocol.PieceErrorType.FILE_NOT_EXIST, null,
                        e.toString());
            }
            events.add(o);
        });
    }

    /** Where to actually fetch an assignment: the CDN instead of a failing peer, or always in CDN mode. */
    private PieceTask route(PieceTask t) {
        if (t.fromSupernode()) {
            return t;
        }
        boolean cdnOnly = ctx.request.pattern() == Pattern.CDN;
        boolean badPeer = peerFailures.getOrDefault(t.cid(), 0) >= BAD_PEER_FAILURES;
        if (!cdnOnly && !badPeer) {
            return t;
        }
        // The CDN's address is learned from its own assignments (of this task, or an earlier one of
        // the same supernode); without one, only an explicit cdnPort says where it is.
        String ip;
        int port;
        if (cdnTemplate != null) {
            ip = cdnTemplate.peerIp();
            port = cdnTemplate.peerPort();
        } else if (ctx.engine.cdnLocation(sn.node()) != null) {
            ip = ctx.engine.cdnLocation(sn.node()).getHostString();
            port = ctx.engine.cdnLocation(sn.node()).getPort();
        } else if (cdnOnly && guessCdn) {
            ip = sn.node().host();
            port = ctx.request.cdnPort();
        } else {
            return t;
        }
        return new PieceTask(t.range(), t.pieceNum(), t.pieceSize(), t.pieceMd5(), CdnNode.cid(ip, snTaskId), ip,
                port, CdnNode.path(snTaskId), t.downLink(), t.pieceSha256());
    }

    private long framedLength(PieceTask t) {
        long fromMd5 = -1;
        try {
            fromMd5 = t.framedLength();
        } catch (ProtocolException e) {
            log.debug("{}", e.getMessage());
        }
        if (fromMd5 >= 0) {
            return fromMd5;
        }
        long total = ctx.tracker.total();
        if (total >= 0) {
            long content = Math.min(pieceSize - PieceFraming.OVERHEAD,
                    total - (long) t.pieceNum() * (pieceSize - PieceFraming.OVERHEAD));
            return content + PieceFraming.OVERHEAD;
        }
        return -1;
    }

    /** Records a piece's outcome; returns the next poll, which carries it to the supernode. */
    private PeerTaskRequest handle(PieceOutcome o) throws DownloadException {
        PieceTask t = o.task();
        int n = t.pieceNum();
        inflight.remove(n);
        if (n < candidates.length) {
            candidates[n] = false;
        }
        logPiece(t, o.success() ? PieceResult.SEMI_SUCCESS : PieceResult.FAIL);
        Timeline.piece(o.success() ? "handled" : "piece_failed", ctx.taskId, ctx.cid, n, t.cid(), o.contentLength());
        return o.success() ? succeeded(o) : failed(o);
    }

    private PeerTaskRequest succeeded(PieceOutcome o) {
        PieceTask t = o.task();
        int n = t.pieceNum();
        ctx.tracker.markPiece(n, o.contentLength());
        // The next poll carries this success too (701/503 with the range, all the original
        // supernode reads); /peer/piece/suc is for 1.x supernodes. Sent beside the poll rather
        // than before it: waiting for its answer held every next poll 30-100 ms (timeline).
        SupernodeClient client = sn;
        PieceSuccessReport report = new PieceSuccessReport(snTaskId, ctx.cid, t.cid(), t.range());
        ctx.engine.executor().execute(() -> {
            try {
                client.reportSuccess(report);
                Timeline.piece("reported", ctx.taskId, ctx.cid, n, t.cid(), -1);
            } catch (IOException e) {
                log.warn("piece {} success report failed: {}", n, e.getMessage());
            }
        });
        return new PeerTaskRequest(ctx.cid, t.cid(), snTaskId, t.range(), PeerTaskStatus.RUNNING,
                PieceResult.SEMI_SUCCESS);
    }

    private PeerTaskRequest failed(PieceOutcome o) throws DownloadException {
        PieceTask t = o.task();
        int n = t.pieceNum();
        if (o.localError()) {
            // Our own disk: no error report (the holder is fine), no retry elsewhere, no source.
            throw ctx.localWriteFailure(o.message());
        }
        log.warn("piece {} from {} ({}:{}) failed: {}", n, t.cid(), t.peerIp(), t.peerPort(), o.message());
        PeerTaskRequest next = new PeerTaskRequest(ctx.cid, t.cid(), snTaskId, t.range(), PeerTaskStatus.RUNNING,
                PieceResult.FAIL);
        if (t.fromSupernode() && cdnTemplate == null && ctx.engine.cdnLocation(sn.node()) == null) {
            // Our guess of the CDN's port was wrong: fetch what the supernode assigns from now on.
            guessCdn = false;
            log.warn("the supernode's CDN is not at {}:{} (--cdnport); taking pieces where assigned", t.peerIp(),
                    t.peerPort());
            return next;
        }
        if (!ctx.cancelled()) {
            peerFailures.merge(t.cid(), 1, Integer::sum);
            int failures = pieceFailures.merge(n, 1, Integer::sum);
            if (failures >= MAX_PIECE_FAILURES) {
                throw new DownloadException(Failure.SOURCE_ERROR, "piece " + n + " failed "
                        + MAX_PIECE_FAILURES + " times; last: " + o.message());
            }
            if (failures > 1) {
                pause(Math.min(500, 50L * failures)); // the same piece keeps failing: do not hammer its holder
            }
            try {
                sn.reportError(new PieceErrorReport(snTaskId, t.range(), ctx.cid, t.cid(), t.peerIp(),
                        o.realMd5() == null ? "" : o.realMd5(), t.md5(), o.errorType()));
            } catch (IOException e) {
                log.warn("piece {} error report failed: {}", n, e.getMessage());
            }
        }
        return next;
    }

    private void reportHeld(PieceTask t) {
        log.info("supernode assigned piece {} again, which is already here; reporting it held", t.pieceNum());
        try {
            sn.reportSuccess(new PieceSuccessReport(snTaskId, ctx.cid, t.cid(), t.range()));
        } catch (IOException e) {
            log.warn("piece {} success report failed: {}", t.pieceNum(), e.getMessage());
        }
    }

    private static void pause(long millis) throws DownloadException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(Failure.CANCELLED, "interrupted");
        }
    }

    private void logPiece(PieceTask t, PieceResult result) {
        if (!log.isInfoEnabled()) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("taskID", snTaskId);
        m.put("superNode", sn.node().host());
        m.put("dstCid", t.cid());
        m.put("range", t.range());
        m.put("result", result.code());
        m.put("status", PeerTaskStatus.RUNNING.code());
        m.put("pieceSize", t.pieceSize());
        m.put("pieceNum", t.pieceNum());
        log.info("downloading piece:{}", Json.writeString(m));
    }

    private TaskFinish checkFinish(TaskFinish f) throws DownloadException {
        long total = ctx.tracker.total();
        if (total < 0) {
            long pieces = (f.fileLength() + pieceSize - 1) / pieceSize;
            total = f.fileLength() - pieces * PieceFraming.OVERHEAD;
            ctx.tracker.total(total);
            try {
                ctx.work.map().setContentLength(total);
            } catch (IOException e) {
                throw new DownloadException(Failure.LOCAL_ERROR, e.getMessage(), e);
            }
        }
        long pieces = total == 0 ? 0 : (total + pieceSize - PieceFraming.OVERHEAD - 1) / (pieceSize - PieceFraming.OVERHEAD);
        long framed = total + pieces * PieceFraming.OVERHEAD;
        if (framed != f.fileLength()) {
            throw new DownloadException(Failure.DIGEST_MISMATCH, "supernode reports " + f.fileLength()
                    + " framed bytes (expected " + framed + " for " + total + " content bytes)");
        }
        if (!ctx.tracker.allPresent()) {
            throw new DownloadException(Failure.SOURCE_ERROR, "supernode finished the task but "
                    + (total - ctx.tracker.contiguous()) + " bytes are missing");
        }
        return f;
    }

    /** Waits for pieces still in flight so none writes after the session ends. */
    private void drainInflight() {
        if (inflight.isEmpty()) {
            return;
        }
        ctx.fetcher.abortAll();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!inflight.isEmpty() && System.nanoTime() < until) {
            try {
                PieceOutcome o = events.poll(100, TimeUnit.MILLISECONDS);
                if (o != null) {
                    inflight.remove(o.task().pieceNum());
                    if (o.success()) {
                        ctx.tracker.markPiece(o.task().pieceNum(), o.contentLength());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The current supernode stopped answering. */
    static final class FailoverException extends Exception {
        FailoverException(String message) {
            super(message, null, false, false);
        }
    }
}
