package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * End to end with the built launcher: {@code bin/dfget} as separate processes (each home starting
 * its own background peer process), an in-process supernode and origin, all on 127.0.0.1.
 * Needs {@code mvn -q -DskipTests package} first (the launcher runs {@code dfget/target}).
 */
class LauncherE2ETest extends LaunchedSwarm {

    private Process dfget(String... args) throws IOException {
        return launcher.dfget(args);
    }

    private Path home(String name) {
        return launcher.home(name);
    }

    private static String read(Process p, boolean err) throws IOException {
        return Launcher.read(p, err);
    }

    @Test
    void threeLaunchedPeersShareOneFile() throws Exception {
        int size = 32 * 1024 * 1024;
        TestOrigin.Resource f = origin.generated("/big", size);
        List<Process> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(dfget("-u", origin.url("/big"), "-o", tmp.resolve("out" + i).toString(),
                    "-n", "127.0.0.1:" + supernode.apiPort(), "--home", home("h" + i).toString(),
                    "--ip", "127.0.0.1", "--notbs", "--json", "--alivetime", "60s"));
        }
        long fromPeers = 0;
        for (int i = 0; i < 3; i++) {
            Process p = runs.get(i);
            String out = read(p, false);
            String err = read(p, true);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(err).isZero();
            JsonNode j = Json.mapper().readTree(out);
            assertThat(j.get("result").asText()).isEqualTo("success");
            assertThat(j.get("md5").asText()).isEqualTo(f.md5());
            assertThat(j.get("length").asLong()).isEqualTo(size);
            assertThat(j.get("fromSource").asLong()).isZero();
            assertThat(j.get("fromPeers").asLong() + j.get("fromSupernode").asLong()).isEqualTo(size);
            fromPeers += j.get("fromPeers").asLong();
            assertThat(err).contains("from peers");
            String log = Files.readString(launcher.homes().get(i).resolve("logs/dfclient.log"));
            assertThat(log).contains("downloading piece:{\"taskID\":\"" + j.get("taskId").asText());
            assertThat(UploadServerClient.find(launcher.homes().get(i))).isPresent();
        }
        assertThat(origin.bytesSent()).isLessThan((long) (size * 1.2));
        assertThat(fromPeers).isGreaterThan(0);

        // A later run of the same home reuses its upload server.
        long pid = UploadServerClient.readState(launcher.homes().get(0)).orElseThrow().pid();
        Process again = dfget("-u", origin.url("/big"), "-o", tmp.resolve("again").toString(),
                "-n", "127.0.0.1:" + supernode.apiPort(), "--home", launcher.homes().get(0).toString(), "--ip", "127.0.0.1");
        assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).as(read(again, true)).isZero();
        assertThat(UploadServerClient.readState(launcher.homes().get(0)).orElseThrow().pid()).isEqualTo(pid);
        // The peer process a thin dfget spawned runs as bin/dfget chose: C1 only at 5x the thresholds
        // (its sha256 comes from NSS, common/util/Digests), on the build's class-data-sharing archive,
        // with Netty's JFR buffer events off (bin/launch).
        String peerCommand = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        assertThat(peerCommand).contains("-XX:TieredStopAtLevel=1").contains("-XX:CompileThresholdScaling=5")
                .contains("-XX:SharedArchiveFile=").contains("-Dio.netty.jfr.enabled=false");

        Process stop = dfget("server", "--stop", "--home", launcher.homes().get(0).toString());
        assertThat(stop.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(stop.exitValue()).isZero();
        assertThat(UploadServerClient.stateFile(launcher.homes().get(0))).doesNotExist();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void aKilledRunResumesWhereItStopped() throws Exception {
        int size = 24 * 1024 * 1024;
        TestOrigin.Resource f = origin.generated("/r", size);
        Path h = home("resume");
        Path out = tmp.resolve("r.bin");
        List<String> args = List.of("-u", origin.url("/r"), "-o", out.toString(), "-n", "127.0.0.1:"
                + supernode.apiPort(), "--home", h.toString(), "--ip", "127.0.0.1", "--notbs", "--json");
        List<String> slow = new ArrayList<>(args);
        slow.addAll(List.of("-s", "4M"));
        Process first = dfget(slow.toArray(String[]::new));
        try {
            // 3 recorded pieces hold at least 2 whole ones: the 30-byte last piece may be among them
            await().atMost(Duration.ofSeconds(30)).until(() -> PeerProcessE2ETest.piecesOnDisk(tmp) >= 3);
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9: no chance to clean up
        }
        assertThat(out).doesNotExist();
        Process second = dfget(args.toArray(String[]::new));
        String json = read(second, false);
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(second.exitValue()).as(read(second, true)).isZero();
        JsonNode j = Json.mapper().readTree(json);
        assertThat(j.get("md5").asText()).isEqualTo(f.md5());
        assertThat(j.get("fromLocal").asLong()).isGreaterThanOrEqualTo(2L * ((4 << 20) - 5));
        assertThat(j.get("fromLocal").asLong() + j.get("fromSupernode").asLong() + j.get("fromPeers").asLong())
                .isEqualTo(size);
    }

    @Test
    void theUploadServerExitsByItselfWhenIdle() throws Exception {
        Path h = home("idle");
        Process server = dfget("server", "--home", h.toString(), "--ip", "127.0.0.1", "--alivetime", "2s");
        assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("exits after --alivetime").isTrue();
        assertThat(server.exitValue()).isZero();
        assertThat(Files.readString(h.resolve("logs/dfserver.log"))).contains("listening on port", "idle for");
        assertThat(UploadServerClient.stateFile(h)).doesNotExist();
    }

    @Test
    void notbsWithoutASupernodeExitsWithItsCodeAndNoFile() throws Exception {
        origin.generated("/f", 1000);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path out = tmp.resolve("out");
        Process p = dfget("-u", origin.url("/f"), "-o", out.toString(), "-n", "127.0.0.1:" + closed, "--notbs",
                "--home", home("h").toString(), "--ip", "127.0.0.1");
        String err = read(p, true);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(err).contains("dfget: no supernode answered");
        assertThat(out).doesNotExist();
        assertThat(origin.bytesSent()).isZero();
    }
}
