package io.smalldragonfly.dfget.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.dfget.store.PieceMap;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The engine's pure parts: node lists, progress tracking, the resume map. No sockets. */
class EnginePartsTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({
        "sn1,                sn1, 8002, 1",
        "sn1:9000,           sn1, 9000, 1",
        "10.0.0.1:8002=3,    10.0.0.1, 8002, 3",
        "sn2=2,              sn2, 8002, 2",
    })
    void parsesNodes(String spec, String host, int port, int weight) {
        assertThat(SupernodeAddress.parse(spec)).isEqualTo(new SupernodeAddress(host, port, weight));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":8002", "sn1:x", "sn1=0", "sn1:70000", "sn1=w"})
    void rejectsBadNodes(String spec) {
        assertThatThrownBy(() -> SupernodeAddress.parse(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected");
    }

    @Test
    void thePeerIpIsTheAddressRoutingToTheFirstNodeElseLoopback() {
        assertThat(SupernodeAddress.routeIp(List.of())).isEqualTo("127.0.0.1");
        assertThat(SupernodeAddress.routeIp(List.of(SupernodeAddress.of("127.0.0.1", 8002)))).isEqualTo("127.0.0.1");
    }

    @Test
    void heavierNodesAreFirstForMoreTasksAndEveryPeerOfATaskAgrees() {
        SupernodeAddress heavy = new SupernodeAddress("a", 1, 9);
        SupernodeAddress light = new SupernodeAddress("b", 1, 1);
        Map<String, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            String task = io.smalldragonfly.common.task.TaskId.compute("http://x/" + i, null, null).value();
            List<SupernodeAddress> order = SupernodeAddress.orderFor(task, List.of(light, heavy));
            assertThat(order).containsExactlyInAnyOrder(light, heavy);
            assertThat(SupernodeAddress.orderFor(task, List.of(heavy, light))).isEqualTo(order);
            firsts.merge(order.get(0).host(), 1, Integer::sum);
        }
        assertThat(firsts.get("a")).isBetween(1700, 1900);
    }

    @Test
    void theReadablePrefixGrowsOnlyWhenTheNextPieceArrives() throws Exception {
        ContentTracker t = new ContentTracker();
        int pieceSize = 1024 * 1024;
        int cpp = pieceSize - 5;
        long total = 2L * cpp + 10;
        t.usePieces(pieceSize, total, true);
        t.markPiece(2, 10);
        t.markPiece(1, cpp);
        assertThat(t.contiguous()).isZero();
        assertThat(t.presentBytes()).isEqualTo(cpp + 10);
        t.markPiece(0, cpp);
        assertThat(t.contiguous()).isEqualTo(total);
        assertThat(t.allPresent()).isTrue();
        assertThat(t.await(0, false, t.generation())).isEqualTo(total);
        assertThat(t.await(total, false, t.generation())).isEqualTo(-1);
    }

    @Test
    void aFailedDownloadWakesReadersWithAnError() {
        ContentTracker t = new ContentTracker();
        t.usePieces(1024 * 1024, 100, true);
        t.fail(new DownloadException(Failure.TIMEOUT, "too slow"));
        assertThatThrownBy(() -> t.await(0, true, t.generation())).hasMessageContaining("too slow");
    }

    @Test
    void closingAStreamFromAnotherThreadEndsABlockedRead() throws Exception {
        ContentTracker t = new ContentTracker();
        t.path(tmp.resolve("content"));
        t.usePieces(1024 * 1024, 10_000_000, true);
        ContentStream in = new ContentStream(t, true);
        java.util.concurrent.CompletableFuture<Integer> read =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return in.read(new byte[10]);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200))
                .atMost(java.time.Duration.ofSeconds(2)).until(() -> !read.isDone());
        in.close();
        assertThatThrownBy(() -> read.get(5, java.util.concurrent.TimeUnit.SECONDS))
                .hasRootCauseInstanceOf(java.io.IOException.class).hasMessageContaining("stream closed");
    }

    @Test
    void thePieceMapSurvivesARestartWithTheSameLayoutOnly() throws Exception {
        Path f = tmp.resolve("x.pieces");
        try (PieceMap m = PieceMap.openForWrite(f, 4 << 20, 10_000_000)) {
            m.mark(0, (4 << 20) - 5);
            m.mark(2, 1_611_393);
        }
        try (PieceMap m = PieceMap.openForWrite(f, 4 << 20, 10_000_000)) {
            assertThat(m.contentLength(0)).isEqualTo((4 << 20) - 5);
            assertThat(m.contentLength(1)).isEqualTo(-1);
            assertThat(m.contentLength(2)).isEqualTo(1_611_393);
            assertThat(PieceMap.read(f, 2).pieceContentLength()).isEqualTo(1_611_393);
            assertThatThrownBy(() -> PieceMap.openForWrite(f, 4 << 20, 10_000_000))
                    .isInstanceOf(PieceMap.BusyException.class);
        }
        try (PieceMap m = PieceMap.openForWrite(f, 4 << 20, 20_000_000)) {
            assertThat(m.extent()).isZero();
        }
    }
}
