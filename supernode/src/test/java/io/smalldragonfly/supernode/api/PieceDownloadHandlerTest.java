package io.smalldragonfly.supernode.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.supernode.SupernodeConfig;
import io.smalldragonfly.supernode.cdn.CdnListener;
import io.smalldragonfly.supernode.cdn.CdnManager;
import io.smalldragonfly.supernode.cdn.SourceClient;
import io.smalldragonfly.supernode.scheduler.CdnState;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import io.smalldragonfly.supernode.scheduler.SchedulerListener;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The download port's handler on an {@link EmbeddedChannel}: zero-copy 206, 416, 404, 405. */
class PieceDownloadHandlerTest {

    static final int PIECE = 4 * 1024 * 1024;

    @TempDir
    static Path home;

    static TestOrigin origin;
    static CdnManager cdn;
    static String taskId;
    static final AtomicLong uploaded = new AtomicLong();

    @BeforeAll
    static void cache() {
        origin = TestOrigin.start();
        origin.generated("/f", 5_000_000);
        SupernodeConfig cfg = SupernodeConfig.forTest(home);
        Scheduler s = new Scheduler(cfg, 8001, System::nanoTime, SchedulerListener.NONE);
        cdn = new CdnManager(cfg, s, System::nanoTime, new CdnListener() {
            @Override
            public void uploadBytes(long bytes) {
                uploaded.addAndGet(bytes);
            }
        });
        String url = origin.url("/f");
        TaskId id = TaskId.compute(url, null, null);
        taskId = id.value();
        cdn.prepare(new CdnManager.TaskSpec(id, URI.create(url), SourceClient.parseHeaders(List.of()), null)).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.cdnState(taskId).orElseThrow() == CdnState.SUCCESS);
    }

    @AfterAll
    static void stop() {
        cdn.close();
        origin.close();
    }

    static EmbeddedChannel channel() {
        return new EmbeddedChannel(new PieceDownloadHandler(cdn, RateLimiter.unlimited()));
    }

    static DefaultFullHttpRequest get(String uri, String range) {
        DefaultFullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
        if (range != null) {
            r.headers().set(HttpHeaderNames.RANGE, range);
        }
        return r;
    }

    String path() {
        return "/qtdown/" + taskId.substring(0, 3) + "/" + taskId;
    }

    @Test
    void aPieceRangeIsAnsweredWith206AndAFileRegion() {
        EmbeddedChannel ch = channel();
        long before = uploaded.get();
        ch.writeInbound(get(path(), "bytes=" + PIECE + "-" + (2L * PIECE - 1)));

        HttpResponse head = ch.readOutbound();
        assertThat(head.status().code()).isEqualTo(206);
        long framedTotal = 5_000_000 + 10;
        int lastFramed = (int) (framedTotal - PIECE + 5 - 5); // content of piece 1 plus framing
        assertThat(head.headers().get(HttpHeaderNames.CONTENT_RANGE))
                .isEqualTo("bytes " + PIECE + "-" + (PIECE + lastFramed - 1) + "/" + (PIECE + lastFramed));
        assertThat(head.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(lastFramed);
        DefaultFileRegion region = ch.readOutbound();
        assertThat(region.position()).isEqualTo(PIECE);
        assertThat(region.count()).isEqualTo(lastFramed);
        region.release();
        Object last = ch.readOutbound();
        assertThat(last).isEqualTo(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(uploaded.get() - before).isEqualTo(lastFramed);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "bytes=99999999-, 416",
        "bytes=5-1, 400",
        "items=0-1, 400",
        "bytes=0-1, 206",
    })
    void rangesOutsideTheCacheAreRefused(String range, int status) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get(path(), range));
        HttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(status);
        if (status == 416) {
            assertThat(res.headers().get(HttpHeaderNames.CONTENT_RANGE)).startsWith("bytes */");
        }
        drain(ch);
    }

    @ParameterizedTest
    @CsvSource({
        "/qtdown/aaa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, 404",
        "/qtdown/../../etc/passwd, 404",
        "/qtdown/abc/0123, 404",
        "/, 404",
    })
    void unknownPathsAre404(String uri, int status) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get(uri, "bytes=0-10"));
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(status);
        assertThat(res.content().toString(java.nio.charset.StandardCharsets.UTF_8)).contains("\"code\":502");
        res.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    /** Issue 12, defect 1: the port closed the connection without an answer for these. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/qtdown/%ZZ", "/ve%rsion", "/qtdown/%u002e%u002e/x", "/%"})
    void malformedPercentEscapesAre400(String uri) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(get(uri, "bytes=0-10"));
        FullHttpResponse res = ch.readOutbound();
        assertThat(res).as("an answer").isNotNull();
        assertThat(res.status().code()).isEqualTo(400);
        assertThat(res.content().toString(java.nio.charset.StandardCharsets.UTF_8)).contains("(expected");
        res.release();
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void otherMethodsAre405() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.DELETE, path(), Unpooled.EMPTY_BUFFER));
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(405);
        res.release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    /**
     * Issue 12, defect 2: pipelined piece requests, the last with {@code Connection: close}. Each
     * response must follow the previous one whole, and the close must come after the last byte.
     * A rate limit makes the bodies go out in several paced writes, as a slow reader does.
     */
    @Test
    void pipelinedRequestsAreAnsweredInOrderOnePaceAtATime() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new DownloadServerInitializer(cdn, new RateLimiter(8L << 20), 60));
        String[] ranges = {"0-999999", "1000000-1999999", "2000000-2099999"};
        ch.writeInbound(Unpooled.copiedBuffer(pipelined(ranges), java.nio.charset.StandardCharsets.ISO_8859_1));
        byte[] wire = io.smalldragonfly.common.testing.HttpWire.drainUntilClosed(ch, java.time.Duration.ofSeconds(20));
        assertThat(ch.isOpen()).as("closed after the Connection: close answer").isFalse();
        checkAnswers(wire, ranges);
        ch.finishAndReleaseAll();
    }

    /** The same over a real socket read slowly: the close must not cut the earlier bodies short. */
    @Test
    void pipelinedRequestsOverASlowSocketArriveWholeAndInOrder() throws Exception {
        String[] ranges = {"0-2399999", "2400000-4799999", "4800000-4999999"};
        try (io.smalldragonfly.common.http.NettyServer server = io.smalldragonfly.common.http.NettyServer.start(
                "pieces-test", "127.0.0.1", 0, 1, new DownloadServerInitializer(cdn, RateLimiter.unlimited(), 60));
             java.net.Socket s = new java.net.Socket()) {
            s.setReceiveBufferSize(8 * 1024);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(pipelined(ranges).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            checkAnswers(io.smalldragonfly.common.testing.HttpWire.readSlowly(s.getInputStream(), 8 * 1024, 1), ranges);
        }
    }

    private String pipelined(String[] ranges) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ranges.length; i++) {
            sb.append("GET ").append(path()).append(" HTTP/1.1\r\nHost: x\r\nRange: bytes=").append(ranges[i])
                    .append(i == ranges.length - 1 ? "\r\nConnection: close" : "").append("\r\n\r\n");
        }
        return sb.toString();
    }

    private static void checkAnswers(byte[] wire, String[] ranges) throws Exception {
        List<io.smalldragonfly.common.testing.HttpWire.Answer> answers = io.smalldragonfly.common.testing.HttpWire.parse(wire);
        assertThat(answers).hasSize(ranges.length);
        byte[] cached;
        try (var file = cdn.acquire(taskId).orElseThrow()) {
            cached = java.nio.file.Files.readAllBytes(file.path());
        }
        for (int i = 0; i < ranges.length; i++) {
            String[] r = ranges[i].split("-");
            int start = Integer.parseInt(r[0]);
            int end = Integer.parseInt(r[1]);
            assertThat(answers.get(i).status()).isEqualTo(206);
            assertThat(answers.get(i).header("Content-Range")).startsWith("bytes " + ranges[i] + "/");
            assertThat(answers.get(i).body()).as("body %d", i).isEqualTo(java.util.Arrays.copyOfRange(cached, start, end + 1));
        }
    }

    private static void drain(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
