package io.smalldragonfly.supernode.cdn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.supernode.SupernodeConfig;
import io.smalldragonfly.supernode.scheduler.CdnState;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import io.smalldragonfly.supernode.scheduler.SchedulerListener;
import io.smalldragonfly.supernode.scheduler.TaskView;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdnManagerTest {

    static final int SIZE = 10_000_000;

    @TempDir
    Path home;

    TestOrigin origin;
    final List<AutoCloseable> open = new ArrayList<>();
    final AtomicLong sourceBytes = new AtomicLong();
    /** The scheduler's and the CDN's clock (nanos): time-based behaviour moves only when a test advances it. */
    final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @BeforeEach
    void startOrigin() {
        origin = TestOrigin.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        origin.close();
    }

    record Cdn(CdnManager cdn, Scheduler scheduler) {}

    Cdn cdn(UnaryOperator<SupernodeConfig.Builder> tweak) {
        SupernodeConfig cfg = tweak.apply(SupernodeConfig.forTest(home).toBuilder()
                .failureCacheTtl(Duration.ofMillis(300))).build();
        Scheduler s = new Scheduler(cfg, 8001, clock::get, SchedulerListener.NONE);
        CdnManager m = new CdnManager(cfg, s, clock::get, new CdnListener() {
            @Override
            public void sourceBytes(long bytes) {
                sourceBytes.addAndGet(bytes);
            }
        });
        open.add(m);
        return new Cdn(m, s);
    }

    static CdnManager.TaskSpec spec(String url, String... headers) {
        List<String> h = List.of(headers);
        return new CdnManager.TaskSpec(TaskId.compute(url, null, null), URI.create(url),
                SourceClient.parseHeaders(h), null);
    }

    static TaskView awaitState(Cdn c, CdnManager.TaskSpec spec, CdnState state) {
        await().atMost(Duration.ofSeconds(20)).until(() -> c.scheduler().cdnState(spec.taskId().value())
                .orElse(null) == state);
        return c.scheduler().view(spec.taskId().value()).orElseThrow();
    }

    /** Checks the cache file's framing piece by piece and returns the content it carries. */
    static byte[] unframe(Path file, int pieceSize) throws Exception {
        byte[] all = Files.readAllBytes(file);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int off = 0; off < all.length; off += pieceSize) {
            int header = ByteBuffer.wrap(all, off, 4).getInt();
            int len = PieceFraming.contentLength(header);
            assertThat(PieceFraming.pieceSize(header)).isEqualTo(pieceSize);
            assertThat(all[off + 4 + len]).isEqualTo(PieceFraming.TRAILER);
            out.write(all, off + 4, len);
        }
        return out.toByteArray();
    }

    void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    Path dataFile(Cdn c, CdnManager.TaskSpec spec) {
        return c.cdn().store().dataFile(spec.taskId());
    }

    @Test
    void coldFetchWritesFramedPiecesAndPublishesThemWithDigests() throws Exception {
        TestOrigin.Resource r = origin.generated("/f", SIZE);
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/f"));

        CdnManager.Prepared p = c.cdn().prepare(spec).join();
        assertThat(p.fileLength()).isEqualTo(SIZE);
        assertThat(p.pieceSize()).isEqualTo(4 * 1024 * 1024);

        TaskView v = awaitState(c, spec, CdnState.SUCCESS);
        assertThat(v.pieceCount()).isEqualTo(3);
        assertThat(v.framedLength()).isEqualTo(SIZE + 3L * PieceFraming.OVERHEAD);
        assertThat(v.md5()).isEqualTo(r.md5());
        assertThat(Digests.md5Hex(unframe(dataFile(c, spec), p.pieceSize()))).isEqualTo(r.md5());
        assertThat(origin.bytesSent()).isEqualTo(SIZE);
        assertThat(sourceBytes.get()).isEqualTo(SIZE);
        CacheMeta meta = c.cdn().store().load(spec.taskId()).orElseThrow();
        byte[] framed0 = new byte[p.pieceSize()];
        ByteBuffer.wrap(Files.readAllBytes(dataFile(c, spec))).get(framed0);
        assertThat(meta.pieces().get(0).md5()).isEqualTo(Digests.md5Hex(framed0));
        assertThat(meta.pieces().get(0).sha256()).isEqualTo(Digests.sha256Hex(framed0));
        assertThat(meta.pieces().get(2).framedLength()).isEqualTo(SIZE - 2 * (p.pieceSize() - 5) + 5);
    }

    @Test
    void concurrentRegistrationsShareOneProbeAndOneFetch() {
        origin.generated("/f", SIZE);
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/f"));
        List<CompletableFuture<CdnManager.Prepared>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(c.cdn().prepare(spec));
        }
        all.forEach(CompletableFuture::join);
        awaitState(c, spec, CdnState.SUCCESS);
        assertThat(origin.count("HEAD", "/f")).isEqualTo(1);
        assertThat(origin.count("GET", "/f")).isEqualTo(1);
        assertThat(origin.bytesSent()).isEqualTo(SIZE);
    }

    @Test
    void followsRedirects() {
        TestOrigin.Resource r = origin.generated("/f", 1_000_000);
        origin.redirect("/old", "/f");
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/old"));
        assertThat(c.cdn().prepare(spec).join().fileLength()).isEqualTo(1_000_000);
        assertThat(awaitState(c, spec, CdnState.SUCCESS).md5()).isEqualTo(r.md5());
    }

    @Test
    void sourceWithoutContentLengthIsCutUntilItEnds() throws Exception {
        TestOrigin.Resource r = origin.generated("/stream", SIZE).chunked();
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/stream"));
        CdnManager.Prepared p = c.cdn().prepare(spec).join();
        assertThat(p.fileLength()).isEqualTo(-1);
        assertThat(p.pieceSize()).isEqualTo(4 * 1024 * 1024);
        TaskView v = awaitState(c, spec, CdnState.SUCCESS);
        assertThat(v.pieceCount()).isEqualTo(3);
        assertThat(v.framedLength()).isEqualTo(SIZE + 15);
        assertThat(Digests.md5Hex(unframe(dataFile(c, spec), p.pieceSize()))).isEqualTo(r.md5());
    }

    @Test
    void headRefusedFallsBackToAOneByteGet() {
        origin.generated("/signed", 1000).noHead();
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/signed"));
        assertThat(c.cdn().prepare(spec).join().fileLength()).isEqualTo(1000);
        awaitState(c, spec, CdnState.SUCCESS);
        assertThat(origin.requests()).anySatisfy(q -> assertThat(q.header("range")).isEqualTo("bytes=0-0"));
    }

    @Test
    void unauthorizedIs608AndTheClientsHeadersAreForwarded() {
        origin.generated("/private", 1000).requireHeader("Authorization", "Bearer t");
        Cdn c = cdn(b -> b);
        assertThatThrownBy(() -> c.cdn().prepare(spec(origin.url("/private"))).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(SourceException.class)
                .hasMessageContaining("401")
                .satisfies(e -> assertThat(((SourceException) e).code()).isEqualTo(ResultCode.NEED_AUTH));

        CdnManager.TaskSpec withAuth = new CdnManager.TaskSpec(TaskId.compute(origin.url("/private"), null, "auth"),
                URI.create(origin.url("/private")), SourceClient.parseHeaders(List.of("Authorization: Bearer t")), null);
        assertThat(c.cdn().prepare(withAuth).join().fileLength()).isEqualTo(1000);
        awaitState(c, withAuth, CdnState.SUCCESS);
    }

    @Test
    void notFoundIs607AndTheFailureIsRememberedBriefly() {
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/missing"));
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> c.cdn().prepare(spec).join()).cause().isInstanceOf(SourceException.class)
                    .hasMessageContaining("404")
                    .satisfies(e -> assertThat(((SourceException) e).code()).isEqualTo(ResultCode.URL_NOT_REACHABLE));
        }
        assertThat(origin.count("HEAD", "/missing")).isEqualTo(1);

        origin.generated("/missing", 100);
        advance(Duration.ofMillis(299));
        assertThatThrownBy(() -> c.cdn().prepare(spec).join()).cause().hasMessageContaining("404");
        assertThat(origin.count("HEAD", "/missing")).as("still remembered within the TTL").isEqualTo(1);
        advance(Duration.ofMillis(1));
        assertThat(c.cdn().prepare(spec).join().fileLength()).isEqualTo(100);
    }

    @Test
    void unreachableSourceIs607() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cdn c = cdn(b -> b);
        assertThatThrownBy(() -> c.cdn().prepare(spec("http://127.0.0.1:" + port + "/x")).join())
                .cause().isInstanceOf(SourceException.class).hasMessageContaining("unreachable");
    }

    @Test
    void deniedSourceIsRefusedWithoutARequest() {
        origin.generated("/f", 100);
        Cdn c = cdn(b -> b.sourceDeny(List.of("127.0.0.0/8")));
        assertThatThrownBy(() -> c.cdn().prepare(spec(origin.url("/f"))).join())
                .cause().isInstanceOf(SourceException.class).hasMessageContaining("deny list");
        assertThat(origin.requests()).isEmpty();
    }

    @Test
    void partialCacheResumesWithARangeRequest() throws Exception {
        TestOrigin.Resource r = origin.generated("/f", SIZE).etag("\"v1\"").failAfter(5_000_000);
        Cdn c = cdn(b -> b);
        CdnManager.TaskSpec spec = spec(origin.url("/f"));
        c.cdn().prepare(spec).join();
        awaitState(c, spec, CdnState.FAILED);
        CacheMeta partial = c.cdn().store().load(spec.taskId()).orElseThrow();
        assertThat(partial.pieces()).hasSize(1);
        assertThat(partial.complete()).isFalse();

        advance(Duration.ofMillis(300)); // the failure cache's TTL
        c.cdn().prepare(spec).join();
        TaskView v = awaitState(c, spec, CdnState.SUCCESS);
        assertThat(v.md5()).isEqualTo(r.md5());
        int perPiece = 4 * 1024 * 1024 - 5;
        assertThat(origin.requests()).filteredOn(q -> q.method().equals("GET"))
                .extracting(q -> q.header("range")).containsExactly(null, "bytes=" + perPiece + "-");
        assertThat(origin.bytesSent()).isEqualTo(5_000_000L + SIZE - perPiece);
        assertThat(Digests.md5Hex(unframe(dataFile(c, spec), 4 * 1024 * 1024))).isEqualTo(r.md5());
    }

    @Test
    void warmCacheSurvivesARestartAndIsReusedOn304() {
        TestOrigin.Resource r = origin.generated("/f", SIZE).etag("\"v1\"");
        CdnManager.TaskSpec spec = spec(origin.url("/f"));
        Cdn first = cdn(b -> b);
        first.cdn().prepare(spec).join();
        awaitState(first, spec, CdnState.SUCCESS);
        first.cdn().close();
        long sent = origin.bytesSent();

        Cdn second = cdn(b -> b);
        assertThat(second.cdn().prepare(spec).join().fileLength()).isEqualTo(SIZE);
        TaskView v = awaitState(second, spec, CdnState.SUCCESS);
        assertThat(v.md5()).isEqualTo(r.md5());
        assertThat(v.cdnPieces()).isEqualTo(3);
        assertThat(origin.bytesSent()).isEqualTo(sent);
        assertThat(origin.requests()).last().satisfies(q -> {
            assertThat(q.method()).isEqualTo("HEAD");
            assertThat(q.header("if-none-match")).isEqualTo("\"v1\"");
        });
    }

    @Test
    void changedSourceIsFetchedAgain() {
        origin.generated("/f", 1000).lastModified("Wed, 21 Oct 2015 07:28:00 GMT");
        CdnManager.TaskSpec spec = spec(origin.url("/f"));
        Cdn first = cdn(b -> b);
        first.cdn().prepare(spec).join();
        awaitState(first, spec, CdnState.SUCCESS);
        first.cdn().close();

        TestOrigin.Resource changed = origin.serve("/f", TestOrigin.content(2000, 7))
                .lastModified("Thu, 22 Oct 2015 07:28:00 GMT");
        Cdn second = cdn(b -> b);
        assertThat(second.cdn().prepare(spec).join().fileLength()).isEqualTo(2000);
        assertThat(awaitState(second, spec, CdnState.SUCCESS).md5()).isEqualTo(changed.md5());
    }

    @Test
    void garbageCollectionEvictsLeastRecentlyUsedPastTheQuotaButNeverATaskInUse() throws Exception {
        origin.generated("/a", 1_000_000);
        origin.generated("/b", 1_000_000);
        origin.generated("/c", 1_000_000);
        Cdn c = cdn(b -> b.cacheQuota(2_500_000));
        CdnManager.TaskSpec a = spec(origin.url("/a"));
        CdnManager.TaskSpec b = spec(origin.url("/b"));
        CdnManager.TaskSpec cc = spec(origin.url("/c"));
        for (CdnManager.TaskSpec s : List.of(a, b, cc)) {
            c.cdn().prepare(s).join();
            awaitState(c, s, CdnState.SUCCESS);
            advance(Duration.ofSeconds(1)); // distinct access times
        }
        // a is being served: it stays although it is the least recently used.
        try (PieceFile inUse = c.cdn().acquire(a.taskId().value()).orElseThrow()) {
            assertThat(inUse.complete()).isTrue();
            List<String> evicted = c.cdn().collectGarbage();
            assertThat(evicted).containsExactly(b.taskId().value());
        }
        assertThat(Files.exists(c.cdn().store().dataFile(b.taskId()))).isFalse();
        assertThat(c.cdn().acquire(b.taskId().value())).isEmpty();
        assertThat(c.scheduler().hasTask(b.taskId().value())).isFalse();
    }

    @Test
    void unusedTasksExpire() {
        origin.generated("/a", 1000);
        Cdn c = cdn(b -> b.taskExpiry(Duration.ofHours(3)));
        CdnManager.TaskSpec a = spec(origin.url("/a"));
        c.cdn().prepare(a).join();
        awaitState(c, a, CdnState.SUCCESS);
        advance(Duration.ofHours(3).minusMillis(1));
        assertThat(c.cdn().collectGarbage()).as("used just under the expiry ago").isEmpty();
        advance(Duration.ofMillis(1));
        assertThat(c.cdn().collectGarbage()).containsExactly(a.taskId().value());
        assertThat(c.cdn().store().scan()).isEmpty();
    }

    @Test
    void lowFreeDiskEvictsEveryIdleTask() {
        origin.generated("/a", 1000);
        origin.generated("/b", 1000);
        Cdn c = cdn(b -> b.minFreeDisk(Long.MAX_VALUE / 2));
        CdnManager.TaskSpec a = spec(origin.url("/a"));
        CdnManager.TaskSpec b = spec(origin.url("/b"));
        for (CdnManager.TaskSpec s : List.of(a, b)) {
            c.cdn().prepare(s).join();
            awaitState(c, s, CdnState.SUCCESS);
        }
        try (PieceFile inUse = c.cdn().acquire(b.taskId().value()).orElseThrow()) {
            assertThat(c.cdn().collectGarbage()).containsExactly(a.taskId().value());
        }
    }

    @Test
    void aSourceThatStopsSendingIsAbortedAndFails() {
        origin.generated("/stuck", 100_000).chunked().stallAfter(1000);
        Cdn c = cdn(b -> b.sourceTimeout(Duration.ofMillis(300)));
        CdnManager.TaskSpec spec = spec(origin.url("/stuck"));
        c.cdn().prepare(spec).join();
        awaitState(c, spec, CdnState.FAILED);
        CacheMeta meta = c.cdn().store().load(spec.taskId()).orElseThrow();
        assertThat(meta.complete()).isFalse();
        assertThat(meta.pieces()).as("no truncated piece is cached").isEmpty();
        assertThat(c.scheduler().view(spec.taskId().value()).orElseThrow().cdnPieces()).isZero();
    }

    @Test
    void aKnownLengthSourceThatStallsMidPieceNeverPublishesATruncatedPiece() {
        origin.generated("/stuck", SIZE).stallAfter(5_000_000);
        Cdn c = cdn(b -> b.sourceTimeout(Duration.ofMillis(300)));
        CdnManager.TaskSpec spec = spec(origin.url("/stuck"));
        c.cdn().prepare(spec).join();
        awaitState(c, spec, CdnState.FAILED);
        assertThat(c.cdn().store().load(spec.taskId()).orElseThrow().pieces()).hasSize(1);
        assertThat(c.scheduler().view(spec.taskId().value()).orElseThrow().cdnPieces()).isEqualTo(1);
    }

    @Test
    void aFetchCutShortByAShutdownResumesAfterTheRestart() {
        TestOrigin.Resource r = origin.generated("/f", SIZE).etag("\"v1\"").stallAfter(6_000_000);
        CdnManager.TaskSpec spec = spec(origin.url("/f"));
        Cdn first = cdn(b -> b);
        first.cdn().prepare(spec).join();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                first.scheduler().view(spec.taskId().value()).orElseThrow().cdnPieces() == 1);
        first.cdn().close(); // the supernode stops mid-fetch
        await().atMost(Duration.ofSeconds(10)).until(() ->
                first.scheduler().cdnState(spec.taskId().value()).orElseThrow() == CdnState.FAILED);

        Cdn second = cdn(b -> b);
        second.cdn().prepare(spec).join();
        assertThat(awaitState(second, spec, CdnState.SUCCESS).md5()).isEqualTo(r.md5());
        assertThat(origin.requests()).filteredOn(q -> q.method().equals("GET")).last()
                .satisfies(q -> assertThat(q.header("range")).isEqualTo("bytes=" + (4 * 1024 * 1024 - 5) + "-"));
    }
}
