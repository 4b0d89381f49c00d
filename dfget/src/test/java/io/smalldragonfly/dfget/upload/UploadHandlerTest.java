package io.smalldragonfly.dfget.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.smalldragonfly.common.http.ServiceHandler;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.store.PieceMap;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The piece-serving handler on an {@link EmbeddedChannel}: framing, Range, 404/416, no way out of the data dir. */
class UploadHandlerTest {

    private static final int PIECE = 1024 * 1024;
    private static final int CPP = PIECE - PieceFraming.OVERHEAD;
    private static final String NAME = "file.bin-42-1.000";

    @TempDir
    Path home;

    private byte[] content;
    private PieceStore store;
    private final AtomicInteger uploads = new AtomicInteger();

    @BeforeEach
    void setUp() throws Exception {
        content = new byte[CPP + CPP / 2];
        new Random(7).nextBytes(content);
        DataDir dd = new DataDir(home.resolve("data"));
        Files.createDirectories(dd.dir());
        Files.write(dd.content(NAME), content);
        try (PieceMap map = PieceMap.openForWrite(dd.pieces(NAME), PIECE, content.length)) {
            map.mark(0, CPP); // piece 1 (the short last one) is not on disk yet
        }
        Files.writeString(home.resolve("secret"), "top secret");
        store = new PieceStore(dd);
    }

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new UploadHandler(store, RateLimiter.unlimited(), uploads, 4, () -> { }),
                new ServiceHandler(new ControlService(store, home.toString(), () -> 1234)));
    }

    private static FullHttpRequest get(String uri, String range) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        if (range != null) {
            r.headers().set(HttpHeaderNames.RANGE, range);
        }
        return r;
    }

    @Test
    void servesAWholeFramedPieceWithItsContentZeroCopy() throws Exception {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/peer/file/" + NAME, "bytes=0-" + (PIECE - 1)));
        HttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(206);
        assertThat(res.headers().get(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(String.valueOf(PIECE));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Object msg;
        boolean sawFileRegion = false;
        while ((msg = ch.readOutbound()) != null) {
            try {
                if (msg instanceof FileRegion region) {
                    sawFileRegion = true;
                    region.transferTo(Channels.newChannel(body), 0);
                } else if (msg instanceof HttpContent c) {
                    body.write(ByteBufUtil.getBytes(c.content()));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
        byte[] framed = body.toByteArray();
        assertThat(sawFileRegion).isTrue();
        assertThat(framed).hasSize(PIECE);
        assertThat(PieceFraming.verify(framed, framed.length, PIECE)).isEqualTo(CPP);
        assertThat(Arrays.copyOfRange(framed, 4, 4 + CPP)).isEqualTo(Arrays.copyOfRange(content, 0, CPP));
        assertThat(uploads.get()).isZero();
        assertFalse(ch.finishAndReleaseAll());
    }

    @ParameterizedTest
    @CsvSource({
        "bytes=1048576-2097151, 416", // piece 1 is not downloaded yet
        "bytes=100-1048675, 416",     // not a piece boundary
        "bytes=0-99, 416",            // less than the whole piece
        "bytes=9437184-10485759, 416",// past the end
        "bytes=abc, 400",
        "items=0-1, 400",
        "'bytes=0-1,5-6', 400",
    })
    void answersRangesItCannotServeWithAnError(String range, int status) {
        assertThat(status(get("/peer/file/" + NAME, range))).isEqualTo(status);
    }

    @Test
    void uploadsPastTheCapAreTurnedAway() {
        uploads.set(4); // four pieces in flight already: the cap of channel()
        assertThat(status(get("/peer/file/" + NAME, "bytes=0-1048575"))).isEqualTo(503);
        uploads.set(3);
        assertThat(status(get("/peer/file/" + NAME, "bytes=0-1048575"))).isEqualTo(206);
        assertThat(uploads.get()).as("the finished upload left the count").isEqualTo(3);
    }

    @Test
    void aMissingRangeIsABadRequest() {
        assertThat(status(get("/peer/file/" + NAME, null))).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/peer/file/unknown", "/peer/file/../secret", "/peer/file/..%2Fsecret", "/peer/file/%2E%2E%2Fsecret",
        "/peer/file/" + NAME + ".pieces", "/peer/file/" + NAME + ".meta", "/peer/file/", "/peer/file/.",
        "/peer/file/%2Fetc%2Fpasswd", "/peer/file/data/../../secret"})
    void neverServesAnythingButDataFiles(String uri) {
        assertThat(status(get(uri, "bytes=0-1048575"))).isEqualTo(404);
    }

    /** Issue 12, defect 1: these closed the connection without an answer (or answered 500). */
    @ParameterizedTest
    @ValueSource(strings = {"/peer/file/%ZZ", "/ve%rsion", "/peer/file/%u002e%u002e%u002fsecret", "/%",
        "/peer/file/a%00b", "/check/%ZZ", "/check/a%00b"})
    void malformedEscapesAndNulAre4xx(String uri) {
        assertThat(status(get(uri, "bytes=0-1048575"))).isBetween(400, 404);
    }

    /**
     * Issue 12, defect 2 on the upload server: pipelined piece requests (the rate limit delays the
     * second) and a control request with {@code Connection: close}; the answers must come in order,
     * whole, and the close after the last one.
     */
    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new UploadInitializer(store, new RateLimiter(4L << 20), uploads, 4,
                new ControlService(store, home.toString(), () -> 1234), () -> { }, null));
        String piece = "GET /peer/file/" + NAME + " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-" + (PIECE - 1) + "\r\n\r\n";
        String ping = "GET /server/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        ch.writeInbound(io.netty.buffer.Unpooled.copiedBuffer(piece + piece + piece + ping,
                java.nio.charset.StandardCharsets.ISO_8859_1));
        byte[] wire = io.smalldragonfly.common.testing.HttpWire.drainUntilClosed(ch, java.time.Duration.ofSeconds(20));
        assertThat(ch.isOpen()).as("closed after the Connection: close answer").isFalse();
        var answers = io.smalldragonfly.common.testing.HttpWire.parse(wire);
        assertThat(answers).extracting(a -> a.status()).containsExactly(206, 206, 206, 200);
        for (int i = 0; i < 3; i++) {
            byte[] framed = answers.get(i).body();
            assertThat(framed).hasSize(PIECE);
            assertThat(Arrays.copyOfRange(framed, 4, 4 + CPP)).isEqualTo(Arrays.copyOfRange(content, 0, CPP));
        }
        assertThat(new String(answers.get(3).body(), java.nio.charset.StandardCharsets.UTF_8)).contains("1234");
        ch.finishAndReleaseAll();
    }

    @Test
    void aSymlinkOutOfTheDataDirIsNotServed() throws Exception {
        DataDir dd = new DataDir(home.resolve("data"));
        Files.createSymbolicLink(dd.content("link"), home.resolve("secret"));
        Files.copy(dd.pieces(NAME), dd.pieces("link"));
        assertThat(status(get("/peer/file/link", "bytes=0-1048575"))).isEqualTo(404);
    }

    @Test
    void theControlPathsAnswer() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get("/server/ping", null));
        FullHttpResponse ping = ch.readOutbound();
        assertThat(ping.status().code()).isEqualTo(200);
        assertThat(ping.content().toString(java.nio.charset.StandardCharsets.UTF_8)).contains("\"home\"", "1234");
        ping.release();
        ch.writeInbound(get("/check/" + NAME, null));
        FullHttpResponse check = ch.readOutbound();
        assertThat(check.status().code()).isEqualTo(200);
        check.release();
        assertFalse(ch.finishAndReleaseAll());
        assertThat(status(get("/check/nope", null))).isEqualTo(404);
    }

    private int status(FullHttpRequest req) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(req);
        ch.runPendingTasks();
        Object first = ch.readOutbound();
        assertThat(first).as("an answer to " + req.uri()).isNotNull();
        int status = ((HttpResponse) first).status().code();
        ReferenceCountUtil.release(first);
        if (!(first instanceof LastHttpContent)) {
            Object m;
            while ((m = ch.readOutbound()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
        assertFalse(ch.finishAndReleaseAll());
        return status;
    }

}
