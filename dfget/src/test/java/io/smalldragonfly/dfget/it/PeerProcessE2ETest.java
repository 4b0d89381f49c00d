package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * dfget as a thin client of its home's peer process, with the built launcher: downloads run in the
 * one long-lived process of the home, which outlives and survives its clients; the CLI's contract
 * (exit codes, nothing partial at {@code -o}, resume, {@code --json}) holds whichever process dies.
 */
class PeerProcessE2ETest extends LaunchedSwarm {

    private static final int PIECE_CONTENT = (4 << 20) - 5;

    private List<String> args(String path, Path out, Path home, String... more) {
        List<String> a = new ArrayList<>(List.of("-u", origin.url(path), "-o", out.toString(), "-n",
                "127.0.0.1:" + supernode.apiPort(), "--home", home.toString(), "--ip", "127.0.0.1", "--notbs",
                "--json", "--alivetime", "60s"));
        a.addAll(List.of(more));
        return a;
    }

    private Process dfget(List<String> args) throws Exception {
        return launcher.dfget(args.toArray(String[]::new));
    }

    private static JsonNode finish(Process p) throws Exception {
        String out = Launcher.read(p, false);
        String err = Launcher.read(p, true);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return Json.mapper().readTree(out);
    }

    /** Peer processes (java ... DfgetMain server --home H) running for {@code home}. */
    private static long peerProcesses(Path home) {
        return ProcessHandle.allProcesses()
                .filter(ph -> ph.info().commandLine()
                        .map(c -> c.contains("DfgetMain server") && c.contains("--home " + home)).orElse(false))
                .count();
    }

    @Test
    void twoDownloadsAtOnceRunInTheHomesOnePeerProcess() throws Exception {
        TestOrigin.Resource a = origin.generated("/a", 20 << 20);
        TestOrigin.Resource b = origin.generated("/b", 12 << 20);
        Path h = launcher.home("h");
        Process first = dfget(args("/a", tmp.resolve("a.bin"), h, "-s", "2M"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Launcher.peerOf(h).isPresent());
        long pid = Launcher.peerOf(h).orElseThrow().pid();
        Process second = dfget(args("/b", tmp.resolve("b.bin"), h));
        JsonNode jb = finish(second);
        assertThat(first.isAlive()).as("the first download is still running").isTrue();
        JsonNode ja = finish(first);
        assertThat(ja.get("md5").asText()).isEqualTo(a.md5());
        assertThat(jb.get("md5").asText()).isEqualTo(b.md5());
        assertThat(ja.get("verified").asText()).as("md5 implied by the checked pieces").isEqualTo("pieces");
        assertThat(io.smalldragonfly.common.util.Digests.md5Hex(tmp.resolve("a.bin"))).isEqualTo(a.md5());
        assertThat(io.smalldragonfly.common.util.Digests.md5Hex(tmp.resolve("b.bin"))).isEqualTo(b.md5());
        assertThat(UploadServerClient.readState(h).orElseThrow().pid()).isEqualTo(pid);
        assertThat(peerProcesses(h)).isEqualTo(1);
        assertThat(Launcher.peerOf(h)).as("the peer process outlives its clients").isPresent();
    }

    @Test
    void onARunningPeerProcessTheClientSendsTheCommandLineAndLoadsNoLibrary() throws Exception {
        TestOrigin.Resource a = origin.generated("/warm-a", 3 << 20);
        TestOrigin.Resource b = origin.generated("/warm-b", 2 << 20);
        Path h = launcher.home("h");
        finish(dfget(args("/warm-a", tmp.resolve("a.bin"), h))); // starts the peer process
        Path dir = Files.createDirectories(tmp.resolve("cwd"));
        Path classes = tmp.resolve("classes.log");
        List<String> relative = new ArrayList<>(args("/warm-b", Path.of("b.bin"), h));
        Process p = launcher.dfget(dir, java.util.Map.of("JAVA_OPTS", "-Xlog:class+load=info:file=" + classes),
                relative.toArray(String[]::new));
        JsonNode jb = finish(p);
        assertThat(jb.get("output").asText()).as("relative to the client's directory").isEqualTo(dir.resolve("b.bin").toString());
        assertThat(io.smalldragonfly.common.util.Digests.md5Hex(dir.resolve("b.bin"))).isEqualTo(b.md5());
        String loaded = Files.readString(classes);
        assertThat(loaded).contains("io.smalldragonfly.dfget.ThinClient ");
        assertThat(loaded).as("the peer process parses the command line and writes the JSON")
                .doesNotContain("picocli.").doesNotContain("com.fasterxml.jackson").doesNotContain("ch.qos.logback");
        assertThat(loaded).as("a socket is all the client needs to talk to its peer process")
                .doesNotContain("sun.net.www.protocol.http.HttpURLConnection ");
        // a usage error comes back from the peer process as the local command prints it
        Process bad = launcher.dfget(dir, java.util.Map.of(), "-u", "ftp://x/f", "-o", "c.bin", "--home", h.toString());
        String err = Launcher.read(bad, true);
        assertThat(bad.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).isEqualTo(2);
        assertThat(err).isEqualTo("dfget: url: 'ftp://x/f' (expected an http:// or https:// URL) (see 'dfget --help')\n");
        assertThat(dir.resolve("c.bin")).doesNotExist();
    }

    @Test
    void aPeerProcessKilledMidDownloadIsReportedAndTheNextRunResumes() throws Exception {
        TestOrigin.Resource f = origin.generated("/f", 24 << 20);
        Path h = launcher.home("h");
        Path out = tmp.resolve("f.bin");
        Process client = dfget(args("/f", out, h, "-s", "4M"));
        // 3 recorded pieces hold at least 2 whole ones (one may be the 30-byte last piece)
        await().atMost(Duration.ofSeconds(30)).until(() -> piecesOnDisk(tmp) >= 3);
        ProcessHandle peer = Launcher.peerOf(h).orElseThrow();
        peer.destroyForcibly(); // kill -9
        String json = Launcher.read(client, false);
        String err = Launcher.read(client, true);
        assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(client.exitValue()).as(err).isEqualTo(1);
        assertThat(err).contains("dfget: the peer process of " + h, "stopped before the download ended",
                "nothing was written to " + out);
        assertThat(Json.mapper().readTree(json).get("result").asText()).isEqualTo("local_error");
        assertThat(out).doesNotExist();

        JsonNode again = finish(dfget(args("/f", out, h)));
        assertThat(again.get("md5").asText()).isEqualTo(f.md5());
        assertThat(again.get("fromLocal").asLong()).as("resumed").isGreaterThanOrEqualTo(2L * PIECE_CONTENT);
        assertThat(Launcher.peerOf(h).orElseThrow().pid()).as("a new peer process").isNotEqualTo(peer.pid());
    }

    @Test
    void aStaleStateFileFromADeadPeerProcessIsReplaced() throws Exception {
        TestOrigin.Resource f = origin.generated("/f", 3 << 20);
        Path h = launcher.home("h");
        Files.createDirectories(h);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        UploadServerClient.writeState(h, new UploadServerClient.State(gone.pid(), closed, h.toString(), "stale"));
        JsonNode j = finish(dfget(args("/f", tmp.resolve("f.bin"), h)));
        assertThat(j.get("md5").asText()).isEqualTo(f.md5());
        UploadServerClient.State now = UploadServerClient.findState(h).orElseThrow();
        assertThat(now.pid()).isNotEqualTo(gone.pid());
        assertThat(now.token()).isNotEqualTo("stale");
    }

    @Test
    void inProcessRunsTheDownloadWithoutAPeerProcess() throws Exception {
        TestOrigin.Resource f = origin.generated("/f", 6 << 20);
        Path h = launcher.home("h");
        JsonNode j = finish(dfget(args("/f", tmp.resolve("f.bin"), h, "--in-process")));
        assertThat(j.get("md5").asText()).isEqualTo(f.md5());
        assertThat(UploadServerClient.stateFile(h)).doesNotExist();
        assertThat(peerProcesses(h)).isZero();
    }

    /** Pieces recorded in the piece map of the (single) download running in {@code dir}. */
    static long piecesOnDisk(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            Path map = s.filter(p -> p.getFileName().toString().endsWith(".dfget.pieces")).findFirst().orElse(null);
            if (map == null) {
                return 0;
            }
            byte[] b = Files.readAllBytes(map);
            long n = 0;
            for (int off = 16; off + 4 <= b.length; off += 4) {
                if (java.nio.ByteBuffer.wrap(b, off, 4).getInt() > 0) {
                    n++;
                }
            }
            return n;
        }
    }
}
