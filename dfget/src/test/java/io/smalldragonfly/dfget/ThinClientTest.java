package io.smalldragonfly.dfget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.smalldragonfly.dfget.peer.PeerCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thin client against a stand-in peer process (the JDK's HTTP server): what it sends, prints and returns. */
class ThinClientTest {

    @TempDir
    Path dir;

    private HttpServer peer;
    private final AtomicReference<PeerCli.Request> received = new AtomicReference<>();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void start() throws IOException {
        peer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        peer.start();
    }

    @AfterEach
    void stop() {
        peer.stop(0);
    }

    private ThinClient client() {
        return new ThinClient(new PrintWriter(out), new PrintWriter(err));
    }

    /** The stand-in answers every command line with {@code frames}, then closes the stream. */
    private void answer(int status, byte[]... frames) {
        peer.createContext(PeerCli.PATH, x -> {
            received.set(PeerCli.decode(x.getRequestBody().readAllBytes()));
            if (!"tok".equals(x.getRequestHeaders().getFirst(PeerCli.TOKEN_HEADER))) {
                reply(x, 403, new byte[0]);
                return;
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (byte[] f : frames) {
                b.writeBytes(f);
            }
            reply(x, status, b.toByteArray());
        });
    }

    private static void reply(HttpExchange x, int status, byte[] body) throws IOException {
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(body);
        }
    }

    private static byte[] text(byte type, String s) {
        return PeerCli.frame(type, s.getBytes(StandardCharsets.UTF_8));
    }

    private int port() {
        return peer.getAddress().getPort();
    }

    @Test
    void sendsTheCommandLineAsTypedAndPrintsWhatThePeerPrints() throws IOException {
        answer(200, text(PeerCli.STDERR, "dfget: über\n"), PeerCli.frame(PeerCli.HEARTBEAT, new byte[0]),
                text(PeerCli.STDOUT, "out: 1.0 MiB\n"), PeerCli.exitFrame(5));
        int code = client().forward(port(), "tok", dir, new String[] {"-u", "http://h/f", "--header", "A: b\nc", "-o", "x"});
        assertThat(code).isEqualTo(5);
        assertThat(out).hasToString("out: 1.0 MiB\n");
        assertThat(err).hasToString("dfget: über\n");
        assertThat(received.get().cwd()).isEqualTo(dir);
        assertThat(received.get().args()).containsExactly("-u", "http://h/f", "--header", "A: b\nc", "-o", "x");
    }

    @Test
    void aPeerThatDiesMidDownloadGetsItsOwnWordsPrinted() throws IOException {
        answer(200, PeerCli.frame(PeerCli.IF_GONE, PeerCli.ifGone("{\"result\":\"local_error\"}\n",
                "dfget: the peer process stopped; nothing was written to /o\n")), text(PeerCli.STDERR, "[###"));
        int code = client().forward(port(), "tok", dir, new String[] {"-u", "http://h/f", "-o", "/o"});
        assertThat(code).isEqualTo(ExitCodes.LOCAL_ERROR);
        assertThat(out).hasToString("{\"result\":\"local_error\"}\n");
        assertThat(err.toString()).endsWith("dfget: the peer process stopped; nothing was written to /o\n");
    }

    @Test
    void aPeerThatDiesBeforeItAnsweredIsReported() throws IOException {
        answer(200, text(PeerCli.STDERR, "half"));
        assertThat(client().forward(port(), "tok", dir, new String[] {"-u", "http://h/f"}))
                .isEqualTo(ExitCodes.LOCAL_ERROR);
        assertThat(err.toString()).contains("the peer process stopped before it answered");
    }

    @Test
    void aPeerThatTakesNoCommandLineIsRefusedWithNothingPrinted() {
        answer(409);
        assertThatThrownBy(() -> client().forward(port(), "tok", dir, new String[] {"-u", "http://h/f"}))
                .isInstanceOf(ThinClient.Refused.class).hasMessageContaining("409");
        assertThatThrownBy(() -> client().forward(port(), "wrong", dir, new String[] {"-u", "http://h/f"}))
                .isInstanceOf(ThinClient.Refused.class).hasMessageContaining("403");
        assertThat(out.toString() + err).isEmpty();
    }

    @Test
    void theHomeIsReadAsPicocliReadsIt() {
        Path cwd = Path.of("/work/dir");
        assertThat(ThinClient.homeOf(new String[] {"-u", "x"}, cwd)).isEqualTo(ThinClient.defaultHome());
        assertThat(ThinClient.homeOf(new String[] {"--home", "/a"}, cwd)).isEqualTo(Path.of("/a"));
        assertThat(ThinClient.homeOf(new String[] {"--home=/b", "-u", "x"}, cwd)).isEqualTo(Path.of("/b"));
        assertThat(ThinClient.homeOf(new String[] {"--home", "/a", "--home", "rel/../h"}, cwd))
                .isEqualTo(Path.of("/work/dir/h"));
    }

    /** A stand-in for starting a peer process: records the line, then "publishes" the stand-in peer's state. */
    private final List<List<String>> spawned = new java.util.ArrayList<>();

    private ThinClient.Spawner spawner(boolean publishes) {
        return (home, line) -> {
            spawned.add(line);
            if (publishes) {
                writeState(home, port());
            }
            Process exited = new ProcessBuilder("true").start();
            try {
                exited.waitFor();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return new io.smalldragonfly.dfget.upload.PeerSpawn.Started(exited.pid(), home);
        };
    }

    private static void writeState(Path home, int port) throws IOException {
        Files.createDirectories(home);
        Files.writeString(home.resolve("uploader.json"), "{\"pid\":1,\"port\":" + port + ",\"home\":\"" + home
                + "\",\"token\":\"tok\"}");
    }

    @Test
    void aRunningPeerProcessTakesTheLineAndHelpOrInProcessStayHere() throws IOException {
        Path home = dir.resolve("home");
        writeState(home, port());
        answer(200, PeerCli.exitFrame(0));
        for (String local : List.of("--help", "-V", "--version", "--in-process", "@args.txt")) {
            assertThat(client().tryForward(new String[] {"-u", "http://h/f", local, "--home", home.toString()}, dir,
                    spawner(true))).as(local).isNull();
        }
        assertThat(client().tryForward(new String[0], dir, spawner(true))).isNull();
        assertThat(received.get()).isNull();
        assertThat(client().tryForward(new String[] {"-u", "http://h/f", "--home", home.toString()}, dir,
                spawner(true))).isZero();
        assertThat(received.get().args()).containsExactly("-u", "http://h/f", "--home", home.toString());
        assertThat(spawned).isEmpty();
    }

    @Test
    void withoutAPeerProcessOrWithAStaleStateFileItStartsOneWithTheLine() throws IOException {
        answer(200, text(PeerCli.STDOUT, "done\n"), PeerCli.exitFrame(0));
        Path home = dir.resolve("new");
        String[] line = {"-u", "http://h/f", "--home", home.toString(), "--alivetime", "9s"};
        assertThat(client().tryForward(line, dir, spawner(true))).isZero();
        assertThat(spawned).containsExactly(List.of(line));
        assertThat(out).hasToString("done\n");

        Path stale = dir.resolve("stale");
        writeState(stale, 1); // nothing listens on port 1
        assertThat(client().tryForward(new String[] {"-u", "http://h/f", "--home", stale.toString()}, dir,
                spawner(true))).isZero();
        assertThat(spawned).hasSize(2);
    }

    @Test
    void aPeerProcessThatDoesNotStartLeavesItToTheFullCommand() {
        Path home = dir.resolve("broken");
        assertThat(client().tryForward(new String[] {"-u", "http://h/f", "--home", home.toString()}, dir,
                spawner(false))).isNull();
        assertThat(spawned).hasSize(1);
        assertThat(out.toString() + err).isEmpty();
    }

    @Test
    void theWireFormatRoundTripsAndRefusesWhatIsNotACommandLine() {
        PeerCli.Request r = new PeerCli.Request(dir, true, List.of("-u", "", "ü"));
        assertThat(PeerCli.decode(PeerCli.encode(r))).isEqualTo(r);
        assertThatThrownBy(() -> PeerCli.decode("x".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("NUL-terminated");
        assertThatThrownBy(() -> PeerCli.decode("/\u00002\u0000".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("cwd, 0|1");
        assertThatThrownBy(() -> PeerCli.encode(new PeerCli.Request(dir, false, List.of("a\u0000b"))))
                .hasMessageContaining("NUL");
    }

    private static ThinClient.Answer head(String head) throws IOException {
        return ThinClient.answer(new java.io.ByteArrayInputStream(head.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void theAnswersHeadIsReadUpToItsBodyInTheShapesThePeerSends() throws IOException {
        ThinClient.Answer streamed = head("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
                + "connection: close\r\n\r\nframes");
        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.body().readAllBytes()).asString(StandardCharsets.ISO_8859_1).isEqualTo("frames");
        ThinClient.Answer sized = head("HTTP/1.1 409 Conflict\r\nContent-Length: 3\r\n\r\nabcdef");
        assertThat(sized.status()).isEqualTo(409);
        assertThat(sized.body().readAllBytes()).asString(StandardCharsets.ISO_8859_1).isEqualTo("abc");
    }

    @Test
    void aChunkedOrMalformedAnswerIsAnotherServersAndRefused() {
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"))
                .isInstanceOf(ThinClient.Refused.class);
        assertThatThrownBy(() -> head("SSH-2.0-OpenSSH_9.2\r\n\r\n")).isInstanceOf(ThinClient.Refused.class);
        assertThatThrownBy(() -> head("HTTP/1.1 2x0 OK\r\n\r\n")).isInstanceOf(ThinClient.Refused.class);
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n"))
                .isInstanceOf(ThinClient.Refused.class);
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\nconnection: clo")).isInstanceOf(IOException.class)
                .isNotInstanceOf(ThinClient.Refused.class);
        assertThatThrownBy(() -> head("HTTP/1.1 200 OK\r\nX: " + "y".repeat(9000) + "\r\n\r\n"))
                .isInstanceOf(ThinClient.Refused.class);
    }
}
