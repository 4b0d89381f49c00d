package io.smalldragonfly.supernode.scheduler;

import static io.smalldragonfly.supernode.scheduler.SchedulerTest.TASK;
import static io.smalldragonfly.supernode.scheduler.SchedulerTest.hold;
import static io.smalldragonfly.supernode.scheduler.SchedulerTest.peer;
import static io.smalldragonfly.supernode.scheduler.SchedulerTest.pieces;
import static io.smalldragonfly.supernode.scheduler.SchedulerTest.poll;
import static io.smalldragonfly.supernode.scheduler.SchedulerTest.publish;
import static io.smalldragonfly.supernode.scheduler.SchedulerTest.range;
import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PeerTaskStatus;
import io.smalldragonfly.common.protocol.PieceResult;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The three scheduling rules of issue 10, one test each (the swarm-level check is SwarmSimulationTest). */
class SchedulingRulesTest {

    final AtomicLong clock = new AtomicLong(1_000_000_000L);

    Scheduler scheduler(UnaryOperator<SupernodeConfig.Builder> tweak) {
        SupernodeConfig cfg = tweak.apply(SupernodeConfig.builder(Path.of("unused")).advertiseIp("10.0.0.1")).build();
        return new Scheduler(cfg, 8001, clock::get, SchedulerListener.NONE);
    }

    @Test
    void aPeerLackingAPieceIsGivenItWhileAnyHolderHasASlotFree() {
        Scheduler s = scheduler(b -> b.uploadsPerPeer(2).piecesPerAnswer(1).maxInFlight(1));
        publish(s, 1);
        List.of("A", "C", "D", "E").forEach(c -> peer(s, c));
        hold(s, "A", 0);

        // A already uploads to C, but has a second slot: D is not told to wait.
        assertThat(pieces(poll(s, "C"))).singleElement().extracting(PieceTask::cid).isEqualTo("A");
        assertThat(pieces(poll(s, "D"))).singleElement().extracting(PieceTask::cid).isEqualTo("A");
        // Now every holder is at its limit: E waits, and the CDN is not used for a piece a peer holds.
        assertThat(poll(s, "E")).isInstanceOf(Decision.Wait.class);
        CompletableFuture<Void> change = s.nextChange(TASK);
        // C's report frees one of A's slots and makes C a holder: E's held poll wakes and gets the piece.
        s.poll(new PeerTaskRequest("C", "A", TASK, range(0), PeerTaskStatus.RUNNING, PieceResult.SEMI_SUCCESS));
        assertThat(change).isDone();
        assertThat(pieces(s.decide(TASK, "E"))).singleElement().extracting(PieceTask::cid).isIn("A", "C");
    }

    @Test
    void aNewHolderIsUsedTheMomentItReportsThePiece() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1).maxInFlight(1).cdnDuplicateAfter(Duration.ofSeconds(3)));
        publish(s, 1);
        List.of("C", "D").forEach(c -> peer(s, c));
        PieceTask first = pieces(poll(s, "C")).get(0);
        assertThat(first.fromSupernode()).isTrue();
        // The only copy is on its way from the CDN to C: D waits rather than take a second CDN copy.
        assertThat(poll(s, "D")).isInstanceOf(Decision.Wait.class);
        CompletableFuture<Void> change = s.nextChange(TASK);

        s.pieceSucceeded(TASK, "C", first.range());

        assertThat(change).isDone();
        assertThat(pieces(s.decide(TASK, "D"))).singleElement().extracting(PieceTask::cid).isEqualTo("C");
    }

    @Test
    void theCdnSendsTheRarestPiecesFirst() {
        Scheduler s = scheduler(b -> b.piecesPerAnswer(1).maxInFlight(1));
        publish(s, 4);
        List.of("A", "B", "C", "D", "E").forEach(c -> peer(s, c));
        // Pieces 0 and 1 are held by peers; 2 and 3 only by the CDN.
        hold(s, "A", 0);
        hold(s, "A", 1);
        hold(s, "B", 0);

        // With one slot, C is sent a piece no peer holds, from the CDN.
        PieceTask toC = pieces(poll(s, "C")).get(0);
        assertThat(toC.fromSupernode()).isTrue();
        assertThat(toC.pieceNum()).isIn(2, 3);
        // D gets the other CDN-only piece (the first is already on its way), not a second copy.
        PieceTask toD = pieces(poll(s, "D")).get(0);
        assertThat(toD.fromSupernode()).isTrue();
        assertThat(toD.pieceNum()).isIn(2, 3).isNotEqualTo(toC.pieceNum());
        // E: both CDN-only pieces are on their way, so the rarest held piece (1, one holder) from A.
        PieceTask toE = pieces(poll(s, "E")).get(0);
        assertThat(toE.pieceNum()).isEqualTo(1);
        assertThat(toE.cid()).isEqualTo("A");
    }
}
