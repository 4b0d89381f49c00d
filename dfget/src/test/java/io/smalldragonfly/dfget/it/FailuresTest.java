package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.common.protocol.PieceErrorReport;
import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.QueryParams;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.Failure;
import io.smalldragonfly.dfget.engine.Pattern;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.engine.SupernodeClient;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Failures and recoveries of the engine against a real in-process supernode and origin. */
class FailuresTest {

    private static final int SIZE = 24 * 1024 * 1024;

    @TempDir
    Path tmp;

    private Supernode supernode;
    private TestOrigin origin;
    private RecordingProxy proxy;
    private TestOrigin.Resource file;
    private final List<Peer> peers = new ArrayList<>();

    @BeforeEach
    void start() {
        supernode = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
        proxy = new RecordingProxy(supernode.apiPort());
        origin = TestOrigin.start();
        file = origin.generated("/f", SIZE);
    }

    @AfterEach
    void stop() {
        peers.forEach(Peer::close);
        proxy.close();
        supernode.close();
        origin.close();
    }

    private Peer peer(String name) throws Exception {
        Peer p = Peer.start(tmp.resolve(name));
        peers.add(p);
        return p;
    }

    private DownloadRequest.Builder request(String out) {
        return DownloadRequest.builder(origin.url("/f"), tmp.resolve(out))
                .node(SupernodeAddress.of("127.0.0.1", proxy.port()));
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void talksToTheSupernodeLikeTheOriginalClient() throws Exception {
        DownloadResult r = peer("a").engine.download(request("a.bin").notbs(true).build());
        assertThat(r.md5()).isEqualTo(file.md5());
        List<RecordingProxy.Call> calls = proxy.calls();
        assertThat(calls.get(0).method()).isEqualTo("POST");
        assertThat(calls.get(0).path()).isEqualTo("/peer/registry");
        assertThat(calls.get(0).body()).contains("\"cid\"", "\"path\":\"/peer/file/a.bin-", "\"rawUrl\"");
        List<QueryParams> polls = calls.stream().filter(c -> c.path().equals("/peer/task"))
                .map(c -> QueryParams.parse(c.uri())).toList();
        QueryParams first = polls.get(0);
        assertThat(first.optional("status")).isEqualTo("700");
        assertThat(first.optional("result")).isEqualTo("502");
        assertThat(first.optional("dstCid")).isEmpty();
        assertThat(first.optional("range")).isEmpty();
        QueryParams later = polls.stream().filter(q -> !q.optional("range").isEmpty()).findFirst().orElseThrow();
        assertThat(later.optional("status")).isEqualTo("701");
        assertThat(later.optional("result")).isEqualTo("503");
        assertThat(later.optional("dstCid")).startsWith("cdnnode:");
        assertThat(proxy.count("/peer/piece/suc")).isEqualTo(io.smalldragonfly.common.piece.PieceLayout.of(SIZE).pieceCount());
    }

    @Test
    void failsOverToTheNextSupernode() throws Exception {
        SupernodeAddress dead = new SupernodeAddress("127.0.0.1", closedPort(), 1000);
        DownloadResult r = peer("a").engine.download(DownloadRequest.builder(origin.url("/f"), tmp.resolve("a.bin"))
                .nodes(List.of(dead, SupernodeAddress.of("127.0.0.1", proxy.port()))).notbs(true).build());
        assertThat(r.supernode()).isEqualTo("127.0.0.1:" + proxy.port());
        assertThat(r.md5()).isEqualTo(file.md5());
    }

    @Test
    void headersReachTheSourceThroughTheSupernodeAndBackToSource() throws Exception {
        origin.generated("/private", SIZE).requireHeader("Authorization", "Bearer t0ken");
        DownloadResult viaSupernode = peer("a").engine.download(DownloadRequest.builder(origin.url("/private"),
                tmp.resolve("a.bin")).node(SupernodeAddress.of("127.0.0.1", proxy.port()))
                .header("Authorization: Bearer t0ken").notbs(true).build());
        assertThat(viaSupernode.fromSupernode() + viaSupernode.fromPeers()).isEqualTo(SIZE);
        DownloadResult direct = peer("b").engine.download(DownloadRequest.builder(origin.url("/private"),
                tmp.resolve("b.bin")).pattern(Pattern.SOURCE).header("Authorization: Bearer t0ken").build());
        assertThat(direct.md5()).isEqualTo(viaSupernode.md5());
        // Without the header (and a task not cached yet: the task id does not cover headers, as in the
        // original) both the supernode and the source refuse.
        origin.generated("/private2", 1000).requireHeader("Authorization", "Bearer t0ken");
        Download refused = peer("c").engine.start(DownloadRequest.builder(origin.url("/private2"), tmp.resolve("c.bin"))
                .node(SupernodeAddress.of("127.0.0.1", proxy.port())).build());
        assertThatThrownBy(refused::await).isInstanceOfSatisfying(DownloadException.class,
                e -> assertThat(e.failure()).isEqualTo(Failure.SOURCE_ERROR));
        assertThat(tmp.resolve("c.bin")).doesNotExist();
    }

    @Test
    void theCdnPatternTakesNothingFromPeers() throws Exception {
        peer("a").engine.download(request("a.bin").notbs(true).build());
        DownloadResult b = peer("b").engine.download(request("b.bin").notbs(true).pattern(Pattern.CDN)
                .cdnPort(supernode.downloadPort()).build());
        assertThat(b.fromPeers()).isZero();
        assertThat(b.fromSupernode()).isEqualTo(SIZE);
        // A wrong guess of the CDN's port costs a retry, not the download.
        DownloadResult c = peer("c").engine.download(request("c.bin").notbs(true).pattern(Pattern.CDN)
                .cdnPort(closedPort()).build());
        assertThat(c.md5()).isEqualTo(file.md5());
    }

    @Test
    void goesBackToSourceWhenNoSupernodeAnswers() throws Exception {
        DownloadResult r = peer("a").engine.download(DownloadRequest.builder(origin.url("/f"), tmp.resolve("a.bin"))
                .node(SupernodeAddress.of("127.0.0.1", closedPort())).build());
        assertThat(r.fromSource()).isEqualTo(SIZE);
        assertThat(Digests.md5Hex(tmp.resolve("a.bin"))).isEqualTo(file.md5());
        long ranged = origin.requests().stream().filter(q -> q.header("range") != null).count();
        assertThat(ranged).as("parallel Range requests").isGreaterThan(2);
        assertThat(origin.bytesSent()).isLessThan(SIZE + 1024);
    }

    @ParameterizedTest
    @ValueSource(strings = {"noRanges", "chunked"})
    void aSourceWithoutRangesOrLengthIsReadInOneStream(String kind) throws Exception {
        TestOrigin.Resource r = origin.generated("/plain", 5_000_000);
        if (kind.equals("noRanges")) {
            r.noRanges();
        } else {
            r.noRanges().chunked();
        }
        Download d = peer("a").engine.start(DownloadRequest.builder(origin.url("/plain"), tmp.resolve("p.bin"))
                .pattern(Pattern.SOURCE).md5(r.md5()).build());
        DownloadResult res = d.await();
        assertThat(res.fromSource()).isEqualTo(5_000_000);
        assertThat(Digests.md5Hex(tmp.resolve("p.bin"))).isEqualTo(r.md5());
        assertThat(d.length().get()).isEqualTo(kind.equals("noRanges") ? 5_000_000 : -1);
    }

    @Test
    void redirectsAreFollowedBackToSource() throws Exception {
        origin.redirect("/moved", "/f");
        DownloadResult r = peer("a").engine.download(DownloadRequest.builder(origin.url("/moved"),
                tmp.resolve("m.bin")).pattern(Pattern.SOURCE).build());
        assertThat(r.md5()).isEqualTo(file.md5());
        assertThat(r.fromSource()).isEqualTo(SIZE);
    }

    @Test
    void notbsWithoutSupernodeFailsAndWritesNothing() throws Exception {
        Download d = peer("a").engine.start(DownloadRequest.builder(origin.url("/f"), tmp.resolve("a.bin"))
                .node(SupernodeAddress.of("127.0.0.1", closedPort())).notbs(true).build());
        assertThatThrownBy(d::await).isInstanceOfSatisfying(DownloadException.class,
                e -> assertThat(e.failure()).isEqualTo(Failure.NO_SUPERNODE));
        assertThat(tmp.resolve("a.bin")).doesNotExist();
        assertThat(origin.bytesSent()).isZero();
    }

    @Test
    void corruptedPiecesFromAPeerAreReportedAndFetchedElsewhere() throws Exception {
        Peer a = peer("a");
        a.engine.download(request("a.bin").notbs(true).build());
        // Corrupt what peer a serves: one byte in every piece of its content file.
        Path served;
        try (Stream<Path> s = Files.list(a.home.resolve("data"))) {
            served = s.filter(p -> DataDir.isSafeName(p.getFileName().toString())).findFirst().orElseThrow();
        }
        try (RandomAccessFile raf = new RandomAccessFile(served.toFile(), "rw")) {
            for (long off = 100; off < SIZE; off += 4 * 1024 * 1024 - 5) {
                raf.seek(off);
                int b = raf.read();
                raf.seek(off);
                raf.write(b ^ 0xff);
            }
        }
        DownloadResult r = peer("b").engine.download(request("b.bin").notbs(true).build());
        assertThat(Digests.md5Hex(tmp.resolve("b.bin"))).isEqualTo(file.md5());
        assertThat(r.md5()).isEqualTo(file.md5());
        List<QueryParams> errors = proxy.calls().stream().filter(c -> c.path().equals("/peer/piece/error"))
                .map(c -> QueryParams.parse(c.uri())).toList();
        assertThat(errors).as("bad pieces reported").isNotEmpty();
        assertThat(errors).allSatisfy(q -> assertThat(q.optional("errorType")).isEqualTo("FILE_MD5_NOT_MATCH"));
        assertThat(errors).allSatisfy(q -> assertThat(q.optional("dstCid")).doesNotStartWith("cdnnode:"));
    }

    @Test
    void aServingPeerKilledMidDownloadDoesNotStopOthers() throws Exception {
        Peer a = peer("a");
        a.engine.download(request("a.bin").notbs(true).build());
        Download b = peer("b").engine.start(request("b.bin").notbs(true).localLimit(6L << 20).build());
        await().atMost(Duration.ofSeconds(20)).until(() -> b.progress().bytes() >= 6L << 20);
        a.kill();
        DownloadResult r = b.await();
        assertThat(Digests.md5Hex(r.output())).isEqualTo(file.md5());
        assertThat(r.fromPeers()).as("b was fetching from a").isGreaterThan(0);
    }

    @Test
    void aPieceTheSupernodeForgotWeHoldIsReportedHeldNotAwaitedForever() throws Exception {
        // Another peer failing to fetch from b (say, before b's upload server listened) makes the
        // supernode drop b's pieces; it then assigns them to b again, which already has them.
        Download a = peer("a").engine.start(request("a.bin").notbs(true).build());
        a.await();
        Download b = peer("b").engine.start(request("b.bin").notbs(true).localLimit(6L << 20).build());
        await().atMost(Duration.ofSeconds(20)).until(() -> b.progress().bytes() >= 8L << 20);
        SupernodeClient sn = new SupernodeClient(SupernodeAddress.of("127.0.0.1", supernode.apiPort()));
        int pieceSize = 4 * 1024 * 1024;
        int pieces = io.smalldragonfly.common.piece.PieceLayout.of(SIZE).pieceCount();
        for (int n = 0; n < pieces; n++) {
            sn.reportError(new PieceErrorReport(b.taskId(), io.smalldragonfly.common.piece.PieceRange.of(n, pieceSize)
                    .toString(), a.cid(), b.cid(), "127.0.0.1", "", "", PieceErrorType.FILE_NOT_EXIST));
        }
        DownloadResult r = b.result().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(Digests.md5Hex(r.output())).isEqualTo(file.md5());
    }

    @Test
    void anInterruptedDownloadResumesFromItsPieces() throws Exception {
        Peer a = peer("a");
        DownloadRequest req = request("a.bin").notbs(true).localLimit(6L << 20).build();
        Download first = a.engine.start(req);
        await().atMost(Duration.ofSeconds(20)).until(() -> first.progress().bytes() >= 12L << 20);
        first.cancel();
        assertThatThrownBy(first::await).isInstanceOfSatisfying(DownloadException.class,
                e -> assertThat(e.failure()).isEqualTo(Failure.CANCELLED));
        assertThat(tmp.resolve("a.bin")).doesNotExist();
        assertThat(tmp.resolve(".a.bin." + first.taskId().substring(0, 12) + ".dfget")).exists();

        DownloadResult r = a.engine.download(request("a.bin").notbs(true).build());
        assertThat(Digests.md5Hex(tmp.resolve("a.bin"))).isEqualTo(file.md5());
        assertThat(r.fromLocal()).isGreaterThanOrEqualTo(8L << 20);
        assertThat(r.fromLocal() + r.fromPeers() + r.fromSupernode()).isEqualTo(SIZE);
        assertThat(tmp.resolve(".a.bin." + first.taskId().substring(0, 12) + ".dfget")).doesNotExist();
        assertThat(tmp.resolve(".a.bin." + first.taskId().substring(0, 12) + ".dfget.pieces")).doesNotExist();
    }

    @Test
    void anInterruptedSourceDownloadResumes() throws Exception {
        Peer a = peer("a");
        DownloadRequest req = DownloadRequest.builder(origin.url("/f"), tmp.resolve("a.bin"))
                .pattern(Pattern.SOURCE).localLimit(6L << 20).build();
        Download first = a.engine.start(req);
        await().atMost(Duration.ofSeconds(20)).until(() -> first.progress().bytes() >= 12L << 20);
        first.cancel();
        assertThatThrownBy(first::await).isInstanceOf(DownloadException.class);
        long sentBefore = origin.bytesSent();

        DownloadResult r = a.engine.download(DownloadRequest.builder(origin.url("/f"), tmp.resolve("a.bin"))
                .pattern(Pattern.SOURCE).build());
        assertThat(Digests.md5Hex(tmp.resolve("a.bin"))).isEqualTo(file.md5());
        assertThat(r.fromLocal()).isGreaterThanOrEqualTo(8L << 20);
        assertThat(origin.bytesSent() - sentBefore).isLessThan(SIZE - (8L << 20) + 1024);
    }

    @Test
    void aWrongMd5LeavesNoFile() throws Exception {
        Download d = peer("a").engine.start(DownloadRequest.builder(origin.url("/f"), tmp.resolve("a.bin"))
                .pattern(Pattern.SOURCE).md5("0123456789abcdef0123456789abcdef").build());
        assertThatThrownBy(d::await).isInstanceOfSatisfying(DownloadException.class,
                e -> assertThat(e.failure()).isEqualTo(Failure.DIGEST_MISMATCH));
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("a.bin"));
        }
    }

    @Test
    void theOverallTimeoutStopsADownload() throws Exception {
        Download d = peer("a").engine.start(request("a.bin").notbs(true).localLimit(2L << 20)
                .timeout(Duration.ofMillis(1500)).build());
        assertThatThrownBy(d::await).isInstanceOfSatisfying(DownloadException.class,
                e -> assertThat(e.failure()).isEqualTo(Failure.TIMEOUT));
        assertThat(tmp.resolve("a.bin")).doesNotExist();
    }

    @Test
    void theStreamYieldsTheBytesInOrderWhileDownloading() throws Exception {
        Download d = peer("a").engine.start(request("a.bin").notbs(true).localLimit(12L << 20).build());
        assertThat(d.length().get(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(SIZE);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        boolean sawBytesBeforeTheEnd;
        try (InputStream in = d.openStream()) {
            byte[] buf = new byte[64 * 1024];
            int n = in.read(buf);
            sawBytesBeforeTheEnd = !d.result().isDone();
            long total = 0;
            while (n >= 0) {
                md5.update(buf, 0, n);
                total += n;
                n = in.read(buf);
            }
            assertThat(total).isEqualTo(SIZE);
        }
        assertThat(d.await().md5()).as("the stream ended after verification").isEqualTo(file.md5());
        assertThat(sawBytesBeforeTheEnd).as("bytes streamed before the download finished").isTrue();
        assertThat(Digests.hex(md5.digest())).isEqualTo(file.md5());
    }
}
