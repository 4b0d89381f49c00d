package io.smalldragonfly.dfget.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.http.ApiServerInitializer;
import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.http.Response;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.util.Digests;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PieceFetcher} against a fake peer that answers whatever the test says: bad peers are failed sources. */
class PieceFetcherTest {

    private static final int PIECE = 1024 * 1024;
    private static final int CPP = PIECE - PieceFraming.OVERHEAD;

    @TempDir
    Path tmp;

    private final AtomicReference<Response> answer = new AtomicReference<>();
    private final AtomicReference<String> rangeSeen = new AtomicReference<>();
    private NettyServer peer;
    private FileChannel file;
    private byte[] content;
    private byte[] framed;

    @BeforeEach
    void setUp() throws Exception {
        peer = NettyServer.start("fake-peer", "127.0.0.1", 0, 1, new ApiServerInitializer(r -> {
            rangeSeen.set(r.header("range"));
            return CompletableFuture.completedFuture(answer.get());
        }, 30));
        file = FileChannel.open(tmp.resolve("content"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        content = new byte[CPP];
        new Random(3).nextBytes(content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(PieceFraming.headerBytes(CPP, PIECE));
        out.write(content);
        out.write(PieceFraming.TRAILER);
        framed = out.toByteArray();
    }

    @AfterEach
    void tearDown() throws Exception {
        peer.close();
        file.close();
    }

    private PieceTask task(String md5, int port) {
        return new PieceTask(PIECE + "-" + (2 * PIECE - 1), 1, PIECE, md5 + ":" + PIECE, "peer-1", "127.0.0.1",
                port, "/peer/file/x", 20480);
    }

    private PieceOutcome fetch(byte[] body, int status) {
        answer.set(Response.of(status, "application/octet-stream", body));
        return new PieceFetcher(Http.plain(), 5000).fetch(task(Digests.md5Hex(framed), peer.port()), PIECE, PIECE,
                file, CPP, System.nanoTime() + 10_000_000_000L, () -> false, new Counters());
    }

    @Test
    void aGoodPieceIsWrittenAtItsContentOffset() throws Exception {
        PieceOutcome o = fetch(framed, 206);
        assertThat(o.success()).isTrue();
        assertThat(o.contentLength()).isEqualTo(CPP);
        assertThat(rangeSeen.get()).isEqualTo("bytes=" + PIECE + "-" + (2 * PIECE - 1));
        ByteBuffer got = ByteBuffer.allocate(CPP);
        file.read(got, CPP);
        assertThat(got.array()).isEqualTo(content);
    }

    @Test
    void aFlippedByteIsAnMd5Mismatch() {
        byte[] bad = framed.clone();
        bad[1000] ^= 1;
        PieceOutcome o = fetch(bad, 206);
        assertThat(o.errorType()).isEqualTo(PieceErrorType.FILE_MD5_NOT_MATCH);
        assertThat(o.realMd5()).isEqualTo(Digests.md5Hex(bad));
    }

    @Test
    void aShortBodyIsAFailure() {
        assertThat(fetch(Arrays.copyOf(framed, framed.length - 100), 206).success()).isFalse();
    }

    @Test
    void aWrongTrailerIsAFailure() {
        byte[] bad = framed.clone();
        bad[bad.length - 1] = 0;
        assertThat(fetch(bad, 206).errorType()).isEqualTo(PieceErrorType.FILE_MD5_NOT_MATCH);
    }

    @Test
    void aHeaderWithAnotherPieceSizeIsAFailure() {
        byte[] bad = framed.clone();
        System.arraycopy(PieceFraming.headerBytes(CPP, 2 * PIECE), 0, bad, 0, 4);
        assertThat(fetch(bad, 206).errorType()).isEqualTo(PieceErrorType.FILE_MD5_NOT_MATCH);
    }

    @Test
    void garbageIsAFailure() {
        assertThat(fetch("<html>oops</html>".getBytes(), 206).success()).isFalse();
        assertThat(fetch(new byte[] {1, 2}, 206).success()).isFalse();
    }

    @Test
    void aWholeFileWith200IsNotAPiece() {
        assertThat(fetch(framed, 200).errorType()).isEqualTo(PieceErrorType.FILE_NOT_EXIST);
    }

    @Test
    void missingPiecesAndDeadPeersAreFileNotExist() throws Exception {
        assertThat(fetch(new byte[0], 416).errorType()).isEqualTo(PieceErrorType.FILE_NOT_EXIST);
        assertThat(fetch(new byte[0], 404).errorType()).isEqualTo(PieceErrorType.FILE_NOT_EXIST);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        PieceOutcome o = new PieceFetcher(Http.plain(), 5000).fetch(task(Digests.md5Hex(framed), closed), PIECE,
                PIECE, file, CPP, System.nanoTime() + 10_000_000_000L, () -> false, new Counters());
        assertThat(o.errorType()).isEqualTo(PieceErrorType.FILE_NOT_EXIST);
    }

    @Test
    void aStalledPeerTimesOut() throws Exception {
        try (NettyServer silent = NettyServer.start("silent-peer", "127.0.0.1", 0, 1,
                new ApiServerInitializer(r -> new CompletableFuture<>(), 30))) {
            long start = System.nanoTime();
            PieceOutcome o = new PieceFetcher(Http.plain(), 300).fetch(task(Digests.md5Hex(framed), silent.port()),
                    PIECE, PIECE, file, CPP, System.nanoTime() + 10_000_000_000L, () -> false, new Counters());
            assertThat(o.errorType()).isEqualTo(PieceErrorType.FILE_NOT_EXIST);
            assertThat(o.message()).contains("timed out");
            assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
        }
    }

    @Test
    void aPieceOnDiskIsCheckedAgainstTheSupernodesMd5() throws Exception {
        Files.write(tmp.resolve("content"), new byte[CPP]); // zeros first
        file.write(ByteBuffer.wrap(content), CPP);
        assertThat(PieceFetcher.verifyLocal(file, CPP, CPP, PIECE, task(Digests.md5Hex(framed), 1))).isTrue();
        file.write(ByteBuffer.wrap(new byte[] {0}), CPP + 10);
        assertThat(PieceFetcher.verifyLocal(file, CPP, CPP, PIECE, task(Digests.md5Hex(framed), 1))).isFalse();
    }
}
