package io.smalldragonfly.dfget.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.EngineConfig;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may order a download from a peer process, and what a bad order gets; no sockets. */
class DownloadHandlerTest {

    private static final String TOKEN = "0123456789abcdef";

    @TempDir
    Path home;

    private PeerDownloads downloads;
    private final List<Object> passedOn = new ArrayList<>();

    @BeforeEach
    void open() {
        downloads = new PeerDownloads(TOKEN);
        downloads.open(new DownloadEngine(EngineConfig.of(home, 0)), (n, t, l) -> t, () -> { });
    }

    @AfterEach
    void close() {
        downloads.close();
    }

    private EmbeddedChannel channel(String remoteIp) {
        return new EmbeddedChannel(new DownloadHandler(downloads), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                passedOn.add(msg);
            }
        }) {
            @Override
            public SocketAddress remoteAddress() {
                return new InetSocketAddress(remoteIp, 40000);
            }
        };
    }

    private static FullHttpRequest order(HttpMethod method, String token, String body) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, DownloadHandler.PATH,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        if (token != null) {
            r.headers().set(DownloadHandler.TOKEN_HEADER, token);
        }
        return r;
    }

    private String validOrder() {
        return Json.writeString(new DownloadOrder("http://127.0.0.1:1/f", home.resolve("out").toString(), List.of(),
                null, null, List.of(), null, "source", 0, 0, 0, 0, false, null, false, List.of(), 0, "127.0.0.1", 0));
    }

    private static int status(EmbeddedChannel ch) {
        Object o = ch.readOutbound();
        assertThat(o).isInstanceOf(FullHttpResponse.class);
        FullHttpResponse r = (FullHttpResponse) o;
        r.release();
        return r.status().code();
    }

    @Test
    void anOrderFromAnotherHostIsRefused() {
        EmbeddedChannel ch = channel("10.1.2.3");
        ch.writeInbound(order(HttpMethod.POST, TOKEN, validOrder()));
        assertThat(status(ch)).isEqualTo(403);
        assertThat(downloads.active()).isZero();
    }

    @Test
    void anOrderWithoutTheHomesTokenIsRefused() {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(order(HttpMethod.POST, null, validOrder()));
        assertThat(status(ch)).isEqualTo(403);
        EmbeddedChannel ch2 = channel("127.0.0.1");
        ch2.writeInbound(order(HttpMethod.POST, "fedcba9876543210", validOrder()));
        assertThat(status(ch2)).isEqualTo(403);
        assertThat(downloads.active()).isZero();
    }

    @Test
    void onlyPostOrdersAndOnlyJson() {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(order(HttpMethod.GET, TOKEN, ""));
        assertThat(status(ch)).isEqualTo(405);
        EmbeddedChannel ch2 = channel("127.0.0.1");
        ch2.writeInbound(order(HttpMethod.POST, TOKEN, "{not json"));
        assertThat(status(ch2)).isEqualTo(400);
    }

    @Test
    void anUnusableOrderEndsWithAUsageEvent() throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        String ftp = validOrder().replace("http://127.0.0.1:1/f", "ftp://x/f");
        ch.writeInbound(order(HttpMethod.POST, TOKEN, ftp));
        ch.runPendingTasks();
        assertThat(ch.<Object>readOutbound()).isInstanceOf(HttpResponse.class);
        StringBuilder body = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = ((HttpContent) o).content();
            body.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        PeerEvent e = Json.read(body.toString().strip(), PeerEvent.class);
        assertThat(e.event()).isEqualTo(PeerEvent.FAILED);
        assertThat(e.failure()).isEqualTo(PeerEvent.USAGE);
        assertThat(e.message()).contains("url: 'ftp://x/f'");
        assertThat(e.exception()).isNull();
    }

    @Test
    void otherRequestsGoOnDownThePipeline() {
        EmbeddedChannel ch = channel("10.1.2.3");
        FullHttpRequest piece = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/peer/file/x");
        ch.writeInbound(piece);
        assertThat(passedOn).containsExactly(piece);
        piece.release();
    }
}
