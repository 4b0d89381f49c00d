package io.smalldragonfly.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.testing.HttpWire;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shared HTTP chain with a {@link ServiceHandler} after it, fed raw bytes on an {@link EmbeddedChannel}. */
class HttpPipelineTest {

    private static final HttpService SERVICE = req -> switch (req.path()) {
        case "/ok" -> CompletableFuture.completedFuture(Response.text(200, "hello"));
        case "/in-band" -> CompletableFuture.failedFuture(new InBand(ResultCode.SOURCE_ERROR, "source: 404"));
        default -> throw HttpStatusException.notFound("path: '" + req.path() + "' (expected /ok)");
    };

    private static final class InBand extends RuntimeException implements InBandResult {
        private final ResultCode code;

        InBand(ResultCode code, String message) {
            super(message);
            this.code = code;
        }

        @Override
        public ResultCode code() {
            return code;
        }
    }

    private static EmbeddedChannel channel(HttpPipeline http) {
        return new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                http.addTo(ch).addLast("service", new ServiceHandler(SERVICE));
            }
        });
    }

    private static final HttpPipeline API = HttpPipeline.idleSeconds(60).aggregate(1024).inOrderResponses();

    private static void send(EmbeddedChannel ch, String requests) {
        ch.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.ISO_8859_1));
        ch.runPendingTasks();
    }

    /** Sends {@code requests} as bytes and parses what the pipeline wrote back. */
    private static List<HttpWire.Answer> exchange(EmbeddedChannel ch, String requests) {
        send(ch, requests);
        return HttpWire.parse(HttpWire.outboundBytes(ch));
    }

    @Test
    void theChainIsInOneOrderWithOnlyTheHandlersAskedFor() {
        EmbeddedChannel api = channel(API);
        assertThat(api.pipeline().names()).containsSubsequence(HttpPipeline.IDLE, HttpPipeline.IDLE_CLOSE,
                HttpPipeline.CODEC, HttpPipeline.KEEP_ALIVE, HttpPipeline.AGGREGATOR, HttpPipeline.IN_ORDER, "service");
        assertThat(api.config().isAutoRead()).isTrue();
        api.finishAndReleaseAll();

        EmbeddedChannel bare = channel(HttpPipeline.idleSeconds(60).withoutKeepAliveHandler().readOnDemand());
        assertThat(bare.pipeline().names()).contains(HttpPipeline.CODEC)
                .doesNotContain(HttpPipeline.KEEP_ALIVE, HttpPipeline.AGGREGATOR, HttpPipeline.IN_ORDER);
        assertThat(bare.config().isAutoRead()).isFalse();
        bare.finishAndReleaseAll();
    }

    @Test
    void anErrorKeepsTheConnectionWhenTheRequestAsksForIt() {
        EmbeddedChannel ch = channel(API);
        List<HttpWire.Answer> answers = exchange(ch,
                "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answers).extracting(HttpWire.Answer::status).containsExactly(404, 200);
        assertThat(answers.get(0).header("Connection")).isEqualTo("keep-alive");
        assertThat(Json.read(answers.get(0).body(), ApiResponse.class).code()).isEqualTo(502);
        assertThat(new String(answers.get(1).body(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    /**
     * The connection closes after: an error answer to {@code Connection: close}, an HTTP/1.0
     * request, an undecodable request (400, whatever it asked).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "GET /nowhere HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n | 404",
            "GET /ok HTTP/1.0\\r\\n\\r\\n | 200",
            "GET /ok HTTP/1.1\\r\\nHost: x\\r\\nBad Header Without Colon\\r\\n\\r\\n | 400"})
    void theseAnswersCloseTheConnection(String request, int status) {
        EmbeddedChannel ch = channel(API);
        List<HttpWire.Answer> answers = exchange(ch, request.replace("\\r\\n", "\r\n"));
        assertThat(answers).extracting(HttpWire.Answer::status).containsExactly(status);
        if (status == 400) {
            assertThat(new String(answers.get(0).body(), StandardCharsets.UTF_8)).contains("malformed HTTP request");
        }
        assertThat(answers.get(0).header("Connection")).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aBodyPastTheLimitIs413() {
        EmbeddedChannel ch = channel(API);
        assertThat(exchange(ch, "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + "x".repeat(2048)))
                .extracting(HttpWire.Answer::status).containsExactly(413);
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeadAnswerHasTheLengthButNoBody() {
        EmbeddedChannel ch = channel(API);
        send(ch, "HEAD /ok HTTP/1.1\r\nHost: x\r\n\r\n");
        String wire = new String(HttpWire.outboundBytes(ch), StandardCharsets.ISO_8859_1);
        assertThat(wire).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("content-length: 5\r\n")
                .endsWith("\r\n\r\n");
        // the next request on the connection is answered: the missing body did not desynchronise it
        assertThat(exchange(ch, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")).extracting(HttpWire.Answer::status).containsExactly(200);
        ch.finishAndReleaseAll();
    }

    @Test
    void anInBandResultIsHttp200WithItsCode() {
        EmbeddedChannel ch = channel(API);
        List<HttpWire.Answer> answers = exchange(ch, "GET /in-band HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answers).extracting(HttpWire.Answer::status).containsExactly(200);
        ApiResponse api = Json.read(answers.get(0).body(), ApiResponse.class);
        assertThat(api.code()).isEqualTo(ResultCode.SOURCE_ERROR.code());
        assertThat(api.msg()).isEqualTo("source: 404");
        ch.finishAndReleaseAll();
    }

    @Test
    void anIdleConnectionIsClosedAndOtherEventsPassOn() {
        EmbeddedChannel ch = channel(API);
        ch.pipeline().fireUserEventTriggered("not idle");
        assertThat(ch.isOpen()).isTrue();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
