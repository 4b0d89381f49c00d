package io.smalldragonfly.dfget.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import io.netty.handler.codec.http.LastHttpContent;
import io.smalldragonfly.dfget.DfgetCli;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.EngineConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may run a command line in a peer process, and what a bad one gets; no sockets. */
class RunHandlerTest {

    private static final String TOKEN = "0123456789abcdef";

    @TempDir
    Path home;

    private PeerDownloads downloads;
    private final List<Object> passedOn = new ArrayList<>();

    @BeforeEach
    void open() {
        downloads = new PeerDownloads(TOKEN);
        downloads.open(new DownloadEngine(EngineConfig.of(home, 0)), (n, t, l) -> t, () -> { },
                DfgetCli.runnerFor(home, downloads));
    }

    @AfterEach
    void close() {
        downloads.close();
    }

    private EmbeddedChannel channel(String remoteIp) {
        return new EmbeddedChannel(new RunHandler(downloads), new ChannelInboundHandlerAdapter() {
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

    private static FullHttpRequest run(HttpMethod method, String token, byte[] body) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, PeerCli.PATH,
                Unpooled.wrappedBuffer(body));
        if (token != null) {
            r.headers().set(PeerCli.TOKEN_HEADER, token);
        }
        return r;
    }

    private byte[] commandLine(String... args) {
        return PeerCli.encode(new PeerCli.Request(home, false, List.of(args)));
    }

    private byte[] valid() {
        return commandLine("-u", "http://127.0.0.1:1/f", "-o", "out", "--home", home.toString(), "-p", "source");
    }

    private static int status(EmbeddedChannel ch) {
        Object o = awaitOutbound(ch);
        assertThat(o).isInstanceOf(FullHttpResponse.class);
        FullHttpResponse r = (FullHttpResponse) o;
        r.release();
        return r.status().code();
    }

    /** The command runs on a thread of its own: wait for what it writes. */
    private static Object awaitOutbound(EmbeddedChannel ch) {
        AtomicReference<Object> written = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> {
            ch.runPendingTasks();
            written.set(ch.readOutbound());
            return written.get() != null;
        });
        return written.get();
    }

    /** The frames of a 200 answer, until its last content. */
    private static List<PeerCli.Frame> frames(EmbeddedChannel ch) throws Exception {
        Object head = awaitOutbound(ch);
        assertThat(head).isInstanceOf(HttpResponse.class);
        // the shape the thin client reads: frames until the connection closes, neither sized nor chunked
        assertThat(((HttpResponse) head).headers().names()).doesNotContain("transfer-encoding", "content-length");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            Object o = awaitOutbound(ch);
            ByteBuf b = ((HttpContent) o).content();
            body.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
            if (o instanceof LastHttpContent) {
                break;
            }
        }
        List<PeerCli.Frame> frames = new ArrayList<>();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body.toByteArray()));
        PeerCli.Frame f;
        while ((f = PeerCli.read(in)) != null) {
            frames.add(f);
        }
        return frames;
    }

    private static String text(List<PeerCli.Frame> frames, byte type) {
        StringBuilder s = new StringBuilder();
        frames.stream().filter(f -> f.type() == type).forEach(f -> s.append(new String(f.payload(), StandardCharsets.UTF_8)));
        return s.toString();
    }

    @Test
    void aCommandFromAnotherHostIsRefused() throws Exception {
        EmbeddedChannel ch = channel("10.1.2.3");
        ch.writeInbound(run(HttpMethod.POST, TOKEN, valid()));
        assertThat(status(ch)).isEqualTo(403);
        assertThat(downloads.active()).isZero();
    }

    @Test
    void aCommandWithoutTheHomesTokenIsRefused() throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(run(HttpMethod.POST, null, valid()));
        assertThat(status(ch)).isEqualTo(403);
        EmbeddedChannel ch2 = channel("127.0.0.1");
        ch2.writeInbound(run(HttpMethod.POST, "fedcba9876543210", valid()));
        assertThat(status(ch2)).isEqualTo(403);
        assertThat(downloads.active()).isZero();
    }

    @Test
    void onlyPostAndOnlyACommandLine() throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(run(HttpMethod.GET, TOKEN, new byte[0]));
        assertThat(status(ch)).isEqualTo(405);
        EmbeddedChannel ch2 = channel("127.0.0.1");
        ch2.writeInbound(run(HttpMethod.POST, TOKEN, "no fields".getBytes(StandardCharsets.UTF_8)));
        assertThat(status(ch2)).isEqualTo(400);
        EmbeddedChannel ch3 = channel("127.0.0.1");
        ch3.writeInbound(run(HttpMethod.POST, TOKEN, "relative/dir\u00000\u0000".getBytes(StandardCharsets.UTF_8)));
        assertThat(status(ch3)).isEqualTo(400);
    }

    @Test
    void aPeerProcessStillStartingSaysSo() throws Exception {
        PeerDownloads starting = new PeerDownloads(TOKEN);
        try {
            EmbeddedChannel ch = new EmbeddedChannel(new RunHandler(starting)) {
                @Override
                public SocketAddress remoteAddress() {
                    return new InetSocketAddress("127.0.0.1", 40000);
                }
            };
            ch.writeInbound(run(HttpMethod.POST, TOKEN, valid()));
            assertThat(status(ch)).isEqualTo(503);
        } finally {
            starting.close();
        }
    }

    @Test
    void aUsageErrorIsPrintedAsTheLocalCommandPrintsItAndExitsTwo() throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(run(HttpMethod.POST, TOKEN, commandLine("-u", "ftp://x/f", "-o", "out", "--home",
                home.toString())));
        List<PeerCli.Frame> frames = frames(ch);
        assertThat(text(frames, PeerCli.STDERR)).isEqualTo("dfget: url: 'ftp://x/f' (expected an http:// or https:// URL)"
                + " (see 'dfget --help')" + System.lineSeparator());
        assertThat(text(frames, PeerCli.STDOUT)).isEmpty();
        assertThat(frames.get(frames.size() - 1).type()).isEqualTo(PeerCli.EXIT);
        assertThat(frames.get(frames.size() - 1).exitCode()).isEqualTo(2);
        assertThat(downloads.active()).isZero();
    }

    @Test
    void aCommandLineOfAnotherHomeIsAnswered409SoTheClientFindsItsOwn(@TempDir Path other) throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(run(HttpMethod.POST, TOKEN, commandLine("-u", "http://127.0.0.1:1/f", "-o", "out",
                "--home", other.toString())));
        assertThat(status(ch)).isEqualTo(409);
        assertThat(downloads.active()).isZero();
    }

    @Test
    void theHomeIsResolvedAgainstTheClientsWorkingDirectory() throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        byte[] relative = PeerCli.encode(new PeerCli.Request(home.getParent(), false, List.of("-u", "ftp://x/f",
                "-o", "out", "--home", home.getFileName().toString())));
        ch.writeInbound(run(HttpMethod.POST, TOKEN, relative));
        List<PeerCli.Frame> frames = frames(ch); // the usage error comes from the command: same home, no 409
        assertThat(frames.get(frames.size() - 1).exitCode()).isEqualTo(2);
    }

    @Test
    void theServerSubcommandIsNotRunInsideThePeerProcess() throws Exception {
        EmbeddedChannel ch = channel("127.0.0.1");
        ch.writeInbound(run(HttpMethod.POST, TOKEN, commandLine("server", "--stop", "--home", home.toString())));
        List<PeerCli.Frame> frames = frames(ch);
        assertThat(text(frames, PeerCli.STDERR)).contains("'server' runs in a process of its own");
        assertThat(frames.get(frames.size() - 1).exitCode()).isEqualTo(2);
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
