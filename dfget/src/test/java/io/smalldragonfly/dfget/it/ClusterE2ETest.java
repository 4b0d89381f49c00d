package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: three {@code bin/supernode} processes and three {@code bin/dfget} peers (each with
 * its own home and background upload server) on 127.0.0.1; the task's supernode is killed with
 * SIGKILL mid-download (docs/cluster.md). Needs {@code mvn -q -DskipTests package} first.
 */
class ClusterE2ETest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final int PIECE_CONTENT = 4 * 1024 * 1024 - 5;

    @TempDir
    Path tmp;

    private final List<Process> supernodes = new ArrayList<>();
    private final List<Integer> apiPorts = new ArrayList<>();
    private final List<Path> homes = new ArrayList<>();
    private TestOrigin origin;

    @BeforeEach
    void start() throws Exception {
        Prerequisites.require(Files.isRegularFile(ROOT.resolve("dfget/target/dfget.jar"))
                        && Files.isRegularFile(ROOT.resolve("supernode/target/supernode.jar")),
                "build the launchers' jars first: mvn -q -DskipTests package");
        origin = TestOrigin.start();
        for (int i = 0; i < 3; i++) {
            int api = freePort();
            int cdn = freePort();
            apiPorts.add(api);
            supernodes.add(new ProcessBuilder(ROOT.resolve("bin/supernode").toString(), "--port", "" + api,
                    "--download-port", "" + cdn, "--bind", "127.0.0.1", "--advertise-ip", "127.0.0.1",
                    "--home", tmp.resolve("sn" + i).toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(tmp.resolve("sn" + i + ".out").toFile())
                    .redirectErrorStream(true).start());
        }
        for (int api : apiPorts) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> ping(api));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Path h : homes) {
            if (Files.exists(UploadServerClient.stateFile(h))) {
                dfget("server", "--stop", "--home", h.toString()).waitFor(20, TimeUnit.SECONDS);
            }
        }
        for (Path h : homes) { // an upload server still starting has no state file yet
            ProcessHandle.allProcesses()
                    .filter(ph -> ph.info().commandLine().map(c -> c.contains(h.toString())).orElse(false))
                    .forEach(ph -> {
                        ph.destroy();
                        ph.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> ph).join();
                    });
        }
        for (Process p : supernodes) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void theTasksSupernodeKilledMidDownloadEveryPeerFinishesAtTheNextOne() throws Exception {
        int size = 5 * PIECE_CONTENT;
        TestOrigin.Resource file = origin.generated("/big", size);
        String url = origin.url("/big");
        List<SupernodeAddress> nodes = apiPorts.stream().map(p -> SupernodeAddress.of("127.0.0.1", p)).toList();
        List<SupernodeAddress> order = SupernodeAddress.orderFor(TaskId.compute(url, null, null).value(), nodes);
        String nodeList = nodes.stream().map(SupernodeAddress::hostPort).collect(Collectors.joining(","));
        List<Process> runs = new ArrayList<>();
        List<Path> outDirs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path home = tmp.resolve("h" + i);
            homes.add(home);
            Path dir = Files.createDirectories(tmp.resolve("out" + i));
            outDirs.add(dir);
            runs.add(dfget("-u", url, "-o", dir.resolve("file").toString(), "-n", nodeList, "--home",
                    home.toString(), "--ip", "127.0.0.1", "--notbs", "--json", "-s", "3M", "--alivetime", "60s"));
        }
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> outDirs.stream().allMatch(d -> piecesOnDisk(d) >= 1));
        Process victim = supernodes.get(apiPorts.indexOf(order.get(0).port()));
        victim.destroyForcibly(); // SIGKILL: no goodbye to anyone
        assertThat(victim.waitFor(20, TimeUnit.SECONDS)).isTrue();

        for (int i = 0; i < 3; i++) {
            Process p = runs.get(i);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(err).isZero();
            JsonNode j = Json.mapper().readTree(out);
            assertThat(j.get("md5").asText()).isEqualTo(file.md5());
            assertThat(j.get("supernode").asText()).isEqualTo(order.get(1).hostPort());
            assertThat(j.get("fromPeers").asLong() + j.get("fromSupernode").asLong() + j.get("fromLocal").asLong())
                    .as("peer %d fetched each piece once", i).isEqualTo(size);
            assertThat(j.get("fromSource").asLong()).isZero();
            String[] lines = err.strip().split("\n");
            System.out.println("peer " + i + ": " + lines[lines.length - 1]); // the summary line
        }
        System.out.println("origin sent " + origin.bytesSent() + " bytes for a " + size + "-byte file");
        assertThat(origin.bytesSent()).isLessThanOrEqualTo(2L * size);
    }

    private Process dfget(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/dfget").toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static boolean ping(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/_ping").openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Pieces recorded in the piece map of the download running in {@code dir}. */
    private static long piecesOnDisk(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            Path map = s.filter(p -> p.getFileName().toString().endsWith(".dfget.pieces")).findFirst().orElse(null);
            if (map == null) {
                return 0;
            }
            byte[] b = Files.readAllBytes(map);
            long n = 0;
            for (int off = 16; off + 4 <= b.length; off += 4) {
                if (ByteBuffer.wrap(b, off, 4).getInt() > 0) {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            return 0;
        }
    }
}
