package io.smalldragonfly.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one writer's rules: Content-Length, Connection, close after a non-kept-alive or failed answer. */
class ResponseWriterTest {

    @Test
    void aKeptAliveAnswerSaysSoAndLeavesTheConnectionOpen() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ResponseWriter.write(ch, Response.text(200, "hello"), true, false);
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(200);
        assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
        assertThat(res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(5);
        assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(Response.TEXT);
        assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("hello");
        res.release();
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void anAnswerNotKeptAliveClosesOnceWritten() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ResponseWriter.writeError(ch, HttpStatusException.notFound("task: unknown"), null, false);
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(404);
        assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        res.release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeadAnswerHasTheLengthOfTheBodyItDoesNotSend() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ResponseWriter.write(ch, Response.text(200, "hello"), true, true);
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.content().readableBytes()).isZero();
        assertThat(res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(5);
        res.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void errorHeadersGoOut() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ResponseWriter.writeTextError(ch, HttpStatusException.of(401, "blob x: registry answered HTTP 401")
                .withHeader("WWW-Authenticate", "Bearer realm=\"r\""), null, true);
        FullHttpResponse res = ch.readOutbound();
        assertThat(res.status().code()).isEqualTo(401);
        assertThat(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE)).isEqualTo("Bearer realm=\"r\"");
        assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(Response.TEXT);
        assertThat(res.content().toString(StandardCharsets.UTF_8)).isEqualTo("blob x: registry answered HTTP 401\n");
        res.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void aStreamedAnswerEndsByTheSameRule() {
        EmbeddedChannel kept = new EmbeddedChannel();
        HttpResponse head = ResponseWriter.head(HttpResponseStatus.PARTIAL_CONTENT, "application/octet-stream", 42, true);
        assertThat(head.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(42);
        assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
        kept.write(head);
        ResponseWriter.end(kept.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), true);
        assertThat(kept.isOpen()).isTrue();
        kept.finishAndReleaseAll();

        EmbeddedChannel closed = new EmbeddedChannel();
        closed.write(ResponseWriter.head(HttpResponseStatus.OK, "application/octet-stream", 0, false));
        ResponseWriter.end(closed.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), false);
        assertThat(closed.isOpen()).isFalse();
        closed.finishAndReleaseAll();
    }

    @Test
    void aFailedWriteClosesEvenAKeptAliveConnection() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ChannelFuture failed = ch.newFailedFuture(new java.io.IOException("reset by peer"));
        ResponseWriter.end(failed, true);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void thenRunsTheNextStepOnlyAfterASuccessfulWrite() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AtomicInteger next = new AtomicInteger();
        ResponseWriter.then(ResponseWriter.write(ch, Response.text(200, "OK\n"), true, false), next::incrementAndGet);
        assertThat(next).hasValue(1);
        ResponseWriter.then(ch.newFailedFuture(new java.io.IOException("gone")), next::incrementAndGet);
        assertThat(next).hasValue(1);
        ch.finishAndReleaseAll();
    }
}
