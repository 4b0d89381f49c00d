package io.smalldragonfly.supernode.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.piece.PieceRange;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PeerTaskStatus;
import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.PieceResult;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    static final String TASK = "a".repeat(64);
    static final int PIECE = 4 * 1024 * 1024;

    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    final AtomicInteger fromCdn = new AtomicInteger();
    final AtomicInteger fromPeers = new AtomicInteger();

    Scheduler scheduler(UnaryOperator<SupernodeConfig.Builder> tweak) {
        SupernodeConfig cfg = tweak.apply(SupernodeConfig.builder(Path.of("unused")).advertiseIp("10.0.0.1")).build();
        return new Scheduler(cfg, 8001, clock::get, (cdn, n) -> (cdn ? fromCdn : fromPeers).addAndGet(n));
    }

    static PieceInfo info(int n) {
        return new PieceInfo(String.format("%032x", n), String.format("%064x", n), PIECE);
    }

    static void publish(Scheduler s, int count) {
        s.createTask(TASK, PIECE);
        for (int n = 0; n < count; n++) {
            s.piecePublished(TASK, n, info(n));
        }
    }

    static void peer(Scheduler s, String cid) {
        s.addPeer(TASK, new PeerRef(cid, "10.0.1." + Math.abs(cid.hashCode() % 200), 15000, "/peer/file/" + cid));
    }

    /** Gives {@code cid} piece n as if it had fetched it from the CDN and reported it. */
    static void hold(Scheduler s, String cid, int n) {
        s.pieceSucceeded(TASK, cid, range(n));
    }

    static String range(int n) {
        return PieceRange.of(n, PIECE).toString();
    }

    static Decision poll(Scheduler s, String cid) {
        return s.poll(PeerTaskRequest.first(cid, TASK));
    }

    static List<PieceTask> pieces(Decision d) {
        assertThat(d).isInstanceOf(Decision.Pieces.class);
        return ((Decision.Pieces) d).pieces();
    }

    @Test
    void rarestPieceFirstEachFromTheLeastLoadedHolder() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(3).maxInFlight(3));
        publish(s, 3);
        peer(s, "A");
        peer(s, "B");
        peer(s, "C");
        hold(s, "A", 0);
        hold(s, "B", 0);
        hold(s, "B", 1);

        List<PieceTask> got = pieces(poll(s, "C"));

        assertThat(got).extracting(PieceTask::pieceNum).containsExactly(2, 1, 0);
        assertThat(got.get(0).cid()).isEqualTo("cdnnode:10.0.0.1~" + TASK);
        assertThat(got.get(0).peerPort()).isEqualTo(8001);
        assertThat(got.get(0).path()).isEqualTo("/qtdown/aaa/" + TASK);
        assertThat(got.get(1).cid()).isEqualTo("B");
        // B already uploads piece 1 to C, so piece 0 comes from A.
        assertThat(got.get(2).cid()).isEqualTo("A");
        assertThat(got.get(2).pieceMd5()).isEqualTo(info(0).md5() + ":" + PIECE);
        assertThat(got.get(2).range()).isEqualTo("0-4194303");
        assertThat(got.get(2).pieceSha256()).isEqualTo(info(0).sha256());
    }

    @Test
    void uploadLimitPerHolderKeepsRequestersOffABusyPeerAndOffTheCdn() {
        Scheduler s = scheduler(b -> b.uploadsPerPeer(1).piecesPerAnswer(1));
        publish(s, 1);
        peer(s, "A");
        peer(s, "C");
        peer(s, "D");
        hold(s, "A", 0);

        assertThat(pieces(poll(s, "C"))).singleElement().extracting(PieceTask::cid).isEqualTo("A");
        Decision d = poll(s, "D");
        assertThat(d).isInstanceOf(Decision.Wait.class);
        assertThat(((Decision.Wait) d).reason()).contains("busy");

        hold(s, "C", 0);
        assertThat(pieces(poll(s, "D"))).singleElement().extracting(PieceTask::cid).isIn("A", "C");
        assertThat(fromCdn.get()).isZero();
    }

    @Test
    void inFlightLimitPerDownloaderRepeatsRunningPiecesInsteadOfWaiting() {
        Scheduler s = scheduler(b -> b.maxInFlight(2).piecesPerAnswer(4));
        publish(s, 5);
        peer(s, "C");

        List<PieceTask> first = pieces(poll(s, "C"));
        assertThat(first).hasSize(2);
        Decision again = poll(s, "C");
        assertThat(((Decision.Pieces) again).repeated()).isTrue();
        assertThat(pieces(again)).extracting(PieceTask::pieceNum)
                .containsExactlyInAnyOrderElementsOf(first.stream().map(PieceTask::pieceNum).toList());

        // The original client reports the piece through the next poll (503 + range + dstCid).
        PieceTask done = first.get(0);
        Decision next = s.poll(new PeerTaskRequest("C", done.cid(), TASK, done.range(), PeerTaskStatus.RUNNING,
                PieceResult.SEMI_SUCCESS));
        assertThat(((Decision.Pieces) next).repeated()).isFalse();
        assertThat(pieces(next)).singleElement().extracting(PieceTask::pieceNum)
                .isNotIn(first.get(0).pieceNum(), first.get(1).pieceNum());
    }

    @Test
    void pieceSuccessReportAndPollReportAreIdempotent() {
        Scheduler s = scheduler(b -> b);
        publish(s, 2);
        peer(s, "C");
        PieceTask t = pieces(poll(s, "C")).get(0);
        s.pieceSucceeded(TASK, "C", t.range());
        s.poll(new PeerTaskRequest("C", t.cid(), TASK, t.range(), PeerTaskStatus.RUNNING, PieceResult.SEMI_SUCCESS));
        assertThat(s.view(TASK).orElseThrow().peers()).singleElement().satisfies(p -> {
            assertThat(p.pieces()).isEqualTo(1);
            assertThat(p.downloading()).isEqualTo(1);
        });
    }

    @Test
    void peerIsPreferredToTheCdnOnceItHoldsThePiece() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1));
        publish(s, 1);
        peer(s, "A");
        peer(s, "C");
        hold(s, "A", 0);

        assertThat(pieces(poll(s, "C"))).singleElement().extracting(PieceTask::cid, PieceTask::peerPort)
                .containsExactly("A", 15000);
        assertThat(fromPeers.get()).isEqualTo(1);
        assertThat(fromCdn.get()).isZero();
    }

    @Test
    void cdnDoesNotSendAPieceTwiceWhileAFirstCopyIsOnItsWay() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1).cdnDuplicateAfter(Duration.ofSeconds(3)));
        publish(s, 1);
        peer(s, "C");
        peer(s, "D");

        PieceTask toC = pieces(poll(s, "C")).get(0);
        assertThat(toC.fromSupernode()).isTrue();
        assertThat(poll(s, "D")).isInstanceOf(Decision.Wait.class);

        // C got it: D fetches from C, not from the CDN.
        hold(s, "C", 0);
        assertThat(pieces(poll(s, "D"))).singleElement().extracting(PieceTask::cid).isEqualTo("C");
        assertThat(fromCdn.get()).isEqualTo(1);
    }

    @Test
    void cdnDuplicatesASlowFirstCopyAfterTheGracePeriod() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1).cdnDuplicateAfter(Duration.ofSeconds(3)));
        publish(s, 1);
        peer(s, "C");
        peer(s, "D");
        poll(s, "C");
        clock.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThat(pieces(poll(s, "D"))).singleElement().extracting(PieceTask::fromSupernode).isEqualTo(true);
    }

    @Test
    void serviceDownRemovesTheHolder() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1));
        publish(s, 1);
        peer(s, "A");
        peer(s, "C");
        hold(s, "A", 0);
        s.serviceDown(TASK, "A");
        PieceTask fromCdn = pieces(poll(s, "C")).get(0);
        assertThat(fromCdn.fromSupernode()).isTrue();
        s.pieceFailed(TASK, "C", fromCdn.range(), fromCdn.cid(), PieceErrorType.FILE_NOT_EXIST);

        // Registering again makes it a holder again.
        peer(s, "A");
        assertThat(pieces(poll(s, "C")).get(0).cid()).isEqualTo("A");
    }

    @Test
    void md5MismatchDemotesTheHolderForTheTask() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1));
        publish(s, 2);
        peer(s, "A");
        peer(s, "C");
        peer(s, "D");
        hold(s, "A", 0);
        hold(s, "A", 1);
        PieceTask t = pieces(poll(s, "C")).get(0);
        assertThat(t.cid()).isEqualTo("A");
        s.pieceFailed(TASK, "C", t.range(), "A", PieceErrorType.FILE_MD5_NOT_MATCH);

        // Neither piece is offered from A any more, to anyone.
        assertThat(pieces(poll(s, "C"))).allSatisfy(p -> assertThat(p.cid()).isNotEqualTo("A"));
        assertThat(pieces(poll(s, "D"))).allSatisfy(p -> assertThat(p.cid()).isNotEqualTo("A"));
        assertThat(s.view(TASK).orElseThrow().peers()).filteredOn(p -> p.cid().equals("A"))
                .singleElement().extracting(TaskView.PeerView::demoted).isEqualTo(true);
    }

    @Test
    void repeatedFailuresSkipAHolderUntilTheWindowPasses() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(2).maxInFlight(2).peerFailureLimit(2)
                .peerFailureWindow(Duration.ofSeconds(60)));
        publish(s, 3);
        peer(s, "A");
        peer(s, "C");
        peer(s, "D");
        for (int n = 0; n < 3; n++) {
            hold(s, "A", n);
        }
        List<PieceTask> got = pieces(poll(s, "C"));
        assertThat(got).extracting(PieceTask::cid).containsOnly("A");
        // The original client reports a failure twice (a 500 poll and piece/error); it counts once.
        PieceTask first = got.get(0);
        s.poll(new PeerTaskRequest("C", "A", TASK, first.range(), PeerTaskStatus.RUNNING, PieceResult.FAIL));
        s.pieceFailed(TASK, "C", first.range(), "A", PieceErrorType.FILE_NOT_EXIST);
        assertThat(s.usable("A")).isTrue();
        s.pieceFailed(TASK, "C", got.get(1).range(), "A", PieceErrorType.FILE_NOT_EXIST);
        assertThat(s.usable("A")).isFalse();

        // A still holds the third piece but is skipped: D gets it from the CDN.
        assertThat(pieces(poll(s, "D"))).allSatisfy(p -> assertThat(p.fromSupernode()).isTrue());

        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        assertThat(s.usable("A")).isTrue();
    }

    @Test
    void aPeerThatStopsHeartbeatingIsNoLongerAHolder() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1).heartbeatTimeout(Duration.ofSeconds(30)));
        publish(s, 1);
        peer(s, "A");
        peer(s, "C");
        hold(s, "A", 0);
        s.heartbeat("A");
        clock.addAndGet(Duration.ofSeconds(20).toNanos());
        s.heartbeat("A");
        assertThat(pieces(poll(s, "C")).get(0).cid()).isEqualTo("A");
        s.pieceFailed(TASK, "C", range(0), "CDN-not-A", PieceErrorType.FILE_NOT_EXIST);

        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(pieces(poll(s, "C")).get(0).fromSupernode()).isTrue();
    }

    @Test
    void waitsWithAReasonWhileNothingIsCachedAndFinishesWithFramedLengthAndMd5() {
        Scheduler s = scheduler(b -> b);
        s.createTask(TASK, PIECE);
        peer(s, "C");
        Decision wait = poll(s, "C");
        assertThat(wait).isInstanceOf(Decision.Wait.class);
        assertThat(((Decision.Wait) wait).reason()).startsWith("client sucCount:0,cdn status:RUNNING,cdn sucCount:0");

        s.piecePublished(TASK, 0, info(0));
        s.piecePublished(TASK, 1, new PieceInfo("b".repeat(32), "c".repeat(64), 255));
        s.cdnCompleted(TASK, 2, PIECE + 255, "d".repeat(32));
        for (PieceTask t : pieces(poll(s, "C"))) {
            s.pieceSucceeded(TASK, "C", t.range());
        }
        Decision done = poll(s, "C");
        assertThat(done).isInstanceOf(Decision.Finished.class);
        assertThat(((Decision.Finished) done).finish().fileLength()).isEqualTo(PIECE + 255);
        assertThat(((Decision.Finished) done).finish().md5()).isEqualTo("d".repeat(32));
    }

    @Test
    void cdnFailureIsReportedAs604() {
        Scheduler s = scheduler(b -> b);
        s.createTask(TASK, PIECE);
        peer(s, "C");
        s.cdnFailed(TASK, "source went away");
        Decision d = poll(s, "C");
        assertThat(d).isInstanceOf(Decision.Failed.class);
        assertThat(((Decision.Failed) d).code()).isEqualTo(ResultCode.CDN_FAIL);
    }

    @Test
    void unreportedPiecesAreReleasedAfterThePieceTimeout() {
        Scheduler s = scheduler(b -> b.uploadsPerPeer(1).piecesPerAnswer(1));
        publish(s, 1);
        peer(s, "A");
        peer(s, "C");
        peer(s, "D");
        hold(s, "A", 0);
        poll(s, "C"); // C takes A's only slot and vanishes
        assertThat(poll(s, "D")).isInstanceOf(Decision.Wait.class);
        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        s.expireInFlight(Duration.ofSeconds(30));
        assertThat(pieces(poll(s, "D")).get(0).cid()).isEqualTo("A");
    }

    @Test
    void unknownTasksPeersAndRangesAreRejectedWithMessages() {
        Scheduler s = scheduler(b -> b);
        publish(s, 2);
        peer(s, "C");
        assertThatThrownBy(() -> poll(s, "nobody")).isInstanceOf(UnknownPeerException.class)
                .hasMessageContaining("expected POST /peer/registry first");
        assertThatThrownBy(() -> s.poll(PeerTaskRequest.first("C", "b".repeat(64))))
                .isInstanceOf(UnknownPeerException.class);
        assertThatThrownBy(() -> s.pieceSucceeded(TASK, "C", "1-2")).hasMessageContaining("expected a whole piece");
        s.cdnCompleted(TASK, 2, 2L * PIECE, "e".repeat(32));
        assertThatThrownBy(() -> s.pieceSucceeded(TASK, "C", range(7))).hasMessageContaining("expected a piece of this task");
    }

    @Test
    void threeClientSwarmTakesEachPieceFromTheCdnOnce() {
        Scheduler s = scheduler(b -> b);
        int count = 51;
        publish(s, count);
        s.cdnCompleted(TASK, count, (long) count * PIECE, "f".repeat(32));
        List<String> clients = List.of("c1", "c2", "c3");
        clients.forEach(c -> peer(s, c));
        Map<String, List<PieceTask>> running = new HashMap<>();
        clients.forEach(c -> running.put(c, new ArrayList<>()));
        int finished = 0;
        for (int round = 0; round < 10_000 && finished < 3; round++) {
            String c = clients.get(round % 3);
            List<PieceTask> mine = running.get(c);
            // Each turn a client completes its oldest running piece and reports it with its next poll.
            PeerTaskRequest req = mine.isEmpty() ? PeerTaskRequest.first(c, TASK)
                    : new PeerTaskRequest(c, mine.get(0).cid(), TASK, mine.remove(0).range(),
                            PeerTaskStatus.RUNNING, PieceResult.SEMI_SUCCESS);
            Decision d = s.poll(req);
            if (d instanceof Decision.Finished) {
                finished++;
                running.put(c, new ArrayList<>(List.of()));
            } else if (d instanceof Decision.Pieces p && !p.repeated()) {
                mine.addAll(p.pieces());
            }
        }
        assertThat(finished).isEqualTo(3);
        assertThat(fromCdn.get()).isEqualTo(count);
        assertThat(fromPeers.get()).isEqualTo(2 * count);
    }

    @Test
    void aPieceAnnouncedBeforeTheCdnHasItMakesItsHolderTheSourceOnceItIsPublished() {
        // A peer failing over from another supernode announces what it holds while this one's CDN
        // has not cached those pieces yet.
        Scheduler s = scheduler(b -> b.piecesPerAnswer(4).maxInFlight(4));
        s.createTask(TASK, PIECE);
        peer(s, "A");
        peer(s, "C");
        hold(s, "A", 0);
        hold(s, "A", 1);
        assertThat(s.view(TASK).orElseThrow().peers()).filteredOn(p -> p.cid().equals("A"))
                .singleElement().extracting(TaskView.PeerView::pieces).isEqualTo(0); // nothing counted yet

        s.piecePublished(TASK, 0, info(0));
        s.piecePublished(TASK, 1, info(1));
        s.piecePublished(TASK, 2, info(2));

        List<PieceTask> got = pieces(poll(s, "C"));
        assertThat(got).extracting(PieceTask::pieceNum).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(got).filteredOn(t -> t.pieceNum() < 2).extracting(PieceTask::cid).containsOnly("A");
        assertThat(got).filteredOn(t -> t.pieceNum() == 2).extracting(PieceTask::cid)
                .containsOnly("cdnnode:10.0.0.1~" + TASK);
        // A itself is not sent after what it announced (piece 2 is on its way to C: A waits for it).
        assertThat(poll(s, "A")).isInstanceOf(Decision.Wait.class);
        hold(s, "C", 2);
        assertThat(pieces(poll(s, "A"))).extracting(PieceTask::pieceNum).containsExactly(2);
    }

    @Test
    void anEarlyAnnouncementIsForgottenWhenTheCdnStartsOverOrTheFileIsShorter() {
        Scheduler s = scheduler(b -> b);
        s.createTask(TASK, PIECE);
        peer(s, "A");
        hold(s, "A", 0);
        s.cdnRestarted(TASK);
        s.piecePublished(TASK, 0, info(0));
        assertThat(s.seedTasks("A")).isEmpty();

        hold(s, "A", 5);
        s.cdnCompleted(TASK, 1, PIECE, "00");
        assertThat(s.seedTasks("A")).isEmpty();
        assertThatThrownBy(() -> hold(s, "A", 5)).hasMessageContaining("expected a piece of this task");
    }
}
