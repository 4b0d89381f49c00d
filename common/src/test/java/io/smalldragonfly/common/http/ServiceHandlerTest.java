package io.smalldragonfly.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.DecoderResult;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ServiceHandlerTest {

    private static final HttpService ECHO = req -> switch (req.path()) {
        case "/echo" -> CompletableFuture.completedFuture(Response.text(200,
                req.method() + " " + req.query().optional("a") + " " + req.header("X-Test") + " " + req.bodyText()));
        case "/bad" -> throw new ProtocolException("taskId: missing (expected a task id)");
        case "/gone" -> CompletableFuture.failedFuture(HttpStatusException.notFound("task: unknown (expected a registered task)"));
        case "/range" -> throw new RangeNotSatisfiableException("Range: past the end", 42);
        default -> throw new IllegalStateException("secret internal detail");
    };

    @Test
    void passesTheRequestAsPlainData() {
        FullHttpResponse res = exchange(request(HttpMethod.POST, "/echo?a=1%202", "body"));
        assertThat(res.status().code()).isEqualTo(200);
        assertThat(body(res)).isEqualTo("POST 1 2 yes body");
        assertThat(res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(17);
        res.release();
    }

    @Test
    void typedErrorsBecome4xxWithTheirMessage() {
        FullHttpResponse bad = exchange(request(HttpMethod.GET, "/bad", ""));
        assertThat(bad.status().code()).isEqualTo(400);
        ApiResponse api = Json.read(body(bad), ApiResponse.class);
        assertThat(api.code()).isEqualTo(501);
        assertThat(api.msg()).isEqualTo("taskId: missing (expected a task id)");
        bad.release();

        FullHttpResponse gone = exchange(request(HttpMethod.GET, "/gone", ""));
        assertThat(gone.status().code()).isEqualTo(404);
        assertThat(Json.read(body(gone), ApiResponse.class).code()).isEqualTo(502);
        gone.release();

        FullHttpResponse range = exchange(request(HttpMethod.GET, "/range", ""));
        assertThat(range.status().code()).isEqualTo(416);
        assertThat(range.headers().get(HttpHeaderNames.CONTENT_RANGE)).isEqualTo("bytes */42");
        range.release();
    }

    @Test
    void bugsBecomeABare500WithoutDetails() {
        FullHttpResponse res = exchange(request(HttpMethod.GET, "/boom", ""));
        assertThat(res.status().code()).isEqualTo(500);
        assertThat(body(res)).doesNotContain("secret").contains("internal error");
        res.release();
    }

    @Test
    void undecodableRequestsGet400AndTheConnectionCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new ServiceHandler(ECHO));
        FullHttpRequest req = request(HttpMethod.GET, "/echo", "");
        req.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad header")));
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(400);
        assertThat(body(res)).contains("malformed HTTP request");
        res.release();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    /** Issue 12, defect 1: Netty's decoder throws on these; they are the client's mistake, not a bug. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/ve%rsion", "/%ZZ", "/%u002e%u002e", "/echo%", "/a%2"})
    void malformedPercentEscapesAre400WithoutAStackTrace(String uri) {
        ch.qos.logback.classic.Logger mapper = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ErrorMapper.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        mapper.addAppender(logged);
        try {
            for (int i = 0; i < 200; i++) {
                FullHttpResponse res = exchange(request(HttpMethod.GET, uri, ""));
                assertThat(res.status().code()).isEqualTo(400);
                ApiResponse api = Json.read(body(res), ApiResponse.class);
                assertThat(api.code()).isEqualTo(501);
                assertThat(api.msg()).contains("percent").contains("(expected");
                res.release();
            }
        } finally {
            mapper.detachAppender(logged);
        }
        // one line at most for a burst of bad input, never a stack trace, never at ERROR
        assertThat(logged.list).hasSizeLessThanOrEqualTo(1);
        assertThat(logged.list).allSatisfy(e -> {
            assertThat(e.getThrowableProxy()).isNull();
            assertThat(e.getLevel()).isNotEqualTo(ch.qos.logback.classic.Level.ERROR);
        });
    }

    @Test
    void headAnswersCarryNoBody() {
        FullHttpResponse res = exchange(request(HttpMethod.HEAD, "/echo", ""));
        assertThat(res.content().readableBytes()).isZero();
        assertThat(res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isPositive();
        res.release();
    }

    private static FullHttpRequest request(HttpMethod method, String uri, String body) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        req.headers().set("X-Test", "yes");
        return req;
    }

    private static FullHttpResponse exchange(FullHttpRequest req) {
        EmbeddedChannel ch = new EmbeddedChannel(new ServiceHandler(ECHO));
        ch.writeInbound(req);
        ch.runPendingTasks();
        FullHttpResponse res = ch.readOutbound();
        assertThat(ch.finishAndReleaseAll()).isFalse();
        return res;
    }

    private static String body(FullHttpResponse res) {
        return res.content().toString(StandardCharsets.UTF_8);
    }
}
