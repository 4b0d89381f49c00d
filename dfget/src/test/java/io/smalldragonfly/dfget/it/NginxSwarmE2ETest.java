package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.util.Digests;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system as users run it, every part a separate process on 127.0.0.1: nginx (Debian's,
 * through {@code scripts/nginx.sh}) as the origin, {@code bin/supernode}, and three concurrent
 * {@code bin/dfget --json} runs, each with its own home and background upload server. Asserted
 * from what the processes print and what nginx logged: every copy is right, nginx sent the file
 * about once, and peers served each other.
 */
class NginxSwarmE2ETest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final int SIZE = 48 * 1024 * 1024;

    @TempDir
    Path tmp;

    private Path www;
    private Process supernode;
    private int apiPort;
    private final List<Path> homes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeEach
    void start() throws Exception {
        Prerequisites.require(Files.isRegularFile(ROOT.resolve("dfget/target/dfget.jar"))
                && Files.isRegularFile(ROOT.resolve("supernode/target/supernode.jar")),
                "the launchers' jars (mvn -q -DskipTests package)");
        Prerequisites.require(Files.isExecutable(Path.of("/usr/sbin/nginx")), "nginx (scripts/install-deps.sh)");
        www = Files.createDirectories(tmp.resolve("www"));
        int nginxPort = freePort();
        run(ROOT.resolve("scripts/nginx.sh").toString(), "start", String.valueOf(nginxPort), www.toString());
        originUrl = "http://127.0.0.1:" + nginxPort + "/file.bin";

        apiPort = freePort();
        int downloadPort = freePort();
        supernode = new ProcessBuilder(ROOT.resolve("bin/supernode").toString(),
                "--home", tmp.resolve("supernode").toString(), "--bind", "127.0.0.1",
                "--port", String.valueOf(apiPort), "--download-port", String.valueOf(downloadPort))
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("supernode.out").toFile())
                .start();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> get("http://127.0.0.1:" + apiPort + "/_ping").equals("ok"));
    }

    private String originUrl;

    @AfterEach
    void stop() throws Exception {
        for (Path h : homes) {
            dfget("server", "--stop", "--home", h.toString()).waitFor(20, TimeUnit.SECONDS);
        }
        if (supernode != null) {
            supernode.destroy(); // SIGTERM: the supernode's graceful shutdown
            if (!supernode.waitFor(20, TimeUnit.SECONDS)) {
                supernode.destroyForcibly();
            }
        }
        if (www != null) {
            new ProcessBuilder(ROOT.resolve("scripts/nginx.sh").toString(), "stop", www.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void threeConcurrentLaunchedPeersGetTheFileWhileNginxSendsItAboutOnce() throws Exception {
        Path file = www.resolve("file.bin");
        byte[] chunk = new byte[1024 * 1024];
        Random random = new Random(42);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < SIZE / chunk.length; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        String md5 = Digests.md5Hex(file);

        List<Process> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path home = tmp.resolve("peer" + i);
            homes.add(home);
            runs.add(dfget("-u", originUrl, "-o", tmp.resolve("out" + i).toString(),
                    "--node", "127.0.0.1:" + apiPort, "--home", home.toString(), "--ip", "127.0.0.1",
                    "--notbs", "--json"));
        }
        long fromPeers = 0;
        long fromSupernode = 0;
        for (int i = 0; i < 3; i++) {
            Process p = runs.get(i);
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p, true));
            String out = drain(p, false);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(err.join()).isZero();
            JsonNode j = Json.mapper().readTree(out);
            assertThat(j.get("result").asText()).isEqualTo("success");
            assertThat(j.get("md5").asText()).isEqualTo(md5);
            assertThat(j.get("length").asLong()).isEqualTo(SIZE);
            assertThat(j.get("fromSource").asLong()).isZero();
            assertThat(j.get("fromPeers").asLong() + j.get("fromSupernode").asLong()).isEqualTo(SIZE);
            assertThat(Digests.md5Hex(tmp.resolve("out" + i))).isEqualTo(md5);
            assertThat(Files.readString(homes.get(i).resolve("logs/dfclient.log"))).contains("downloading piece:{");
            fromPeers += j.get("fromPeers").asLong();
            fromSupernode += j.get("fromSupernode").asLong();
        }

        long nginxSent = nginxBodyBytes();
        assertThat(nginxSent).as("bytes nginx sent").isBetween((long) SIZE, (long) (SIZE * 1.1));
        assertThat(metric("supernode_cdn_source_bytes_total")).isEqualTo(SIZE);
        assertThat(fromPeers).as("bytes peers served each other").isPositive();
        assertThat(fromSupernode).as("bytes from the CDN").isLessThan(2L * SIZE);
    }

    /** Sum of $body_bytes_sent in nginx's combined-format access log. */
    private long nginxBodyBytes() throws Exception {
        String state = run(ROOT.resolve("scripts/nginx.sh").toString(), "statedir", www.toString()).trim();
        Path log = Path.of(state, "access.log");
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log));
        Pattern combined = Pattern.compile("\" (\\d{3}) (\\d+) ");
        long sum = 0;
        for (String line : Files.readAllLines(log)) {
            Matcher m = combined.matcher(line);
            if (m.find()) {
                sum += Long.parseLong(m.group(2));
            }
        }
        return sum;
    }

    private double metric(String name) throws Exception {
        for (String line : get("http://127.0.0.1:" + apiPort + "/metrics").split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("metric " + name + " not exposed");
    }

    private Process dfget(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/dfget").toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private String get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = drain(p, false);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }

    private static String drain(Process p, boolean err) {
        try {
            return new String((err ? p.getErrorStream() : p.getInputStream()).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
