package io.smalldragonfly.docker;

import static io.smalldragonfly.docker.DockerSupport.docker;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;

/**
 * The seed's way of running the system, with our images and host networking (the daemon here
 * has no bridge, so {@code -p} becomes {@code --network host}):
 * <pre>
 * docker run -d -p 8001:8001 -p 8002:8002 SUPERNODE_IMAGE -Dsupernode.advertiseIp=127.0.0.1
 * docker run -d --name dfclient01 -p 65001:65001 DFCLIENT_IMAGE --registry https://index.docker.io
 * docker exec dfclient01 dfget -u URL -o FILE --node 127.0.0.1
 * docker exec dfclient01 grep 'downloading piece' /root/.small-dragonfly/logs/dfclient.log
 * </pre>
 * plus a second dfclient (own port and home) downloading the same file, partly from the first
 * one, a registry container mirrored by that second dfclient, and an nginx origin on the host.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedCommandsE2ETest {

    private static final int FILE_SIZE = 20 * 1024 * 1024 + 12345;   // several pieces, last one partial
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final List<GenericContainer<?>> started = new ArrayList<>();
    private static GenericContainer<?> supernode;
    private static GenericContainer<?> dfclient01;
    private static GenericContainer<?> dfclient02;
    private static Origin origin;
    private static String url;
    private static String md5;
    private static int registryPort;

    @BeforeAll
    static void up() throws Exception {
        DockerSupport.assumeDocker();
        DockerSupport.buildImages();
        // the seed's ports, plus the second client's mirror port
        DockerSupport.requireFreePorts(8001, 8002, 65001, 65002);

        // Origin: nginx on the host (scripts/nginx.sh) serving a generated file.
        origin = Origin.start(FILE_SIZE, 20180101L);
        url = origin.url();
        md5 = origin.md5();

        registryPort = DockerSupport.freePort();
        GenericContainer<?> registry = DockerSupport.container("registry", "sd-test-registry")
                .withEnv("REGISTRY_HTTP_ADDR", "127.0.0.1:" + registryPort);
        started.add(registry);
        registry.start();

        // docker run -d -p 8001:8001 -p 8002:8002 SUPERNODE_IMAGE -Dsupernode.advertiseIp=127.0.0.1
        // (SUPERNODE_BIND keeps the host-networked ports on loopback; the arguments are the seed's.)
        supernode = DockerSupport.container("supernode", "sd-test-supernode")
                .withEnv("SUPERNODE_BIND", "127.0.0.1")
                .withCommand("-Dsupernode.advertiseIp=127.0.0.1");
        started.add(supernode);
        supernode.start();

        // docker run -d --name dfclient01 -p 65001:65001 DFCLIENT_IMAGE --registry https://index.docker.io
        // (DFDAEMON_NODE: the seed's dfclient image read its supernodes from a config file.)
        dfclient01 = DockerSupport.container("dfclient", "dfclient01")
                .withEnv("DFDAEMON_BIND", "127.0.0.1")
                .withEnv("DFDAEMON_NODE", "127.0.0.1:8002")
                .withCommand("--registry", "https://index.docker.io");
        started.add(dfclient01);

        // A second node: its own mirror port, its own home (the container's volume), the local registry.
        dfclient02 = DockerSupport.container("dfclient", "dfclient02")
                .withEnv("DFDAEMON_BIND", "127.0.0.1")
                .withCommand("--port", "65002", "--registry", "http://127.0.0.1:" + registryPort,
                        "--node", "127.0.0.1:8002");
        started.add(dfclient02);
        dfclient01.start();
        dfclient02.start();
    }

    @AfterAll
    static void down() {
        DockerSupport.saveLogsAndStop(started);
        docker("rmi", "-f", "127.0.0.1:" + registryPort + "/library/sd-tiny:1");
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    @Order(1)
    void dfgetInDfclient01DownloadsThroughTheSupernodeContainer() {
        // docker exec dfclient01 dfget -u URL -o FILE --node 127.0.0.1   (the supernode's default port)
        docker("exec", "dfclient01", "dfget", "-u", url, "-o", "/tmp/seed.bin", "--node", "127.0.0.1").ok();
        assertThat(docker("exec", "dfclient01", "md5sum", "/tmp/seed.bin").ok().output()).startsWith(md5);
    }

    @Test
    @Order(2)
    void theSeedsGrepFindsDownloadingPieceLines() {
        // docker exec dfclient01 grep 'downloading piece' /root/.small-dragonfly/logs/dfclient.log
        String lines = docker("exec", "dfclient01", "grep", "downloading piece",
                "/root/.small-dragonfly/logs/dfclient.log").ok().output();
        assertThat(lines).contains("\"taskID\"", "\"superNode\"", "\"pieceNum\"");
    }

    @Test
    @Order(3)
    void dfclient02GetsTheSameFileThroughTheSwarmPartlyFromDfclient01() throws Exception {
        ExecResult r = dfclient02.execInContainer("dfget", "-u", url, "-o", "/tmp/seed.bin", "--node", "127.0.0.1:8002",
                "--json");
        assertThat(r.getExitCode()).as("dfget --json; stderr:%n%s", r.getStderr()).isZero();
        JsonNode j = JSON.readTree(r.getStdout().strip());
        assertThat(j.path("md5").asText()).isEqualTo(md5);
        assertThat(j.path("length").asLong()).isEqualTo(FILE_SIZE);
        assertThat(j.path("fromSource").asLong()).as("bytes straight from the origin").isZero();
        assertThat(j.path("fromPeers").asLong() + j.path("fromSupernode").asLong()).isEqualTo(FILE_SIZE);
        assertThat(j.path("fromPeers").asLong()).as("bytes from dfclient01's upload server: %s", j).isPositive();
        assertThat(dfclient02.execInContainer("md5sum", "/tmp/seed.bin").getStdout()).startsWith(md5);
        assertThat(dfclient02.execInContainer("grep", "-c", "downloading piece",
                "/root/.small-dragonfly/logs/dfclient.log").getExitCode()).isZero();
    }

    @Test
    @Order(4)
    void theOriginSentTheFileAboutOnce() throws Exception {
        double fromSource = metric("supernode_cdn_source_bytes_total");
        assertThat(fromSource).isBetween((double) FILE_SIZE, FILE_SIZE * 1.1);
    }

    /** dfclient02 mirrors the registry container: /v2/ is proxied, a layer blob comes through the swarm. */
    @Test
    @Order(5)
    void dfclient02MirrorsTheRegistryContainer() throws Exception {
        assertThat(get(65002, "/v2/", null).statusCode()).isEqualTo(200);

        // A tiny image FROM scratch (nothing can be pulled here), pushed to the registry container.
        Path ctx = Files.createTempDirectory(DockerSupport.TARGET, "tiny-");
        byte[] data = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(data);
        Files.write(ctx.resolve("data.bin"), data);
        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nCOPY data.bin /data.bin\n");
        String tag = "127.0.0.1:" + registryPort + "/library/sd-tiny:1";
        docker("build", "-q", "-t", tag, ctx.toString()).ok();
        docker("push", tag).ok();
        DockerSupport.deleteTree(ctx);

        HttpResponse<byte[]> manifest = get(65002, "/v2/library/sd-tiny/manifests/1",
                "application/vnd.docker.distribution.manifest.v2+json");
        assertThat(manifest.statusCode()).isEqualTo(200);
        JsonNode layer = JSON.readTree(manifest.body()).path("layers").get(0);
        String digest = layer.path("digest").asText();

        double before = metric("supernode_cdn_source_bytes_total");
        HttpResponse<byte[]> blob = get(65002, "/v2/library/sd-tiny/blobs/" + digest, null);
        assertThat(blob.statusCode()).isEqualTo(200);
        assertThat("sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob.body())))
                .isEqualTo(digest);
        assertThat(blob.body().length).isEqualTo(layer.path("size").asInt());
        // The supernode's CDN fetched the blob from the registry: it went through the swarm.
        assertThat(metric("supernode_cdn_source_bytes_total") - before).isGreaterThanOrEqualTo(blob.body().length);
    }

    private static HttpResponse<byte[]> get(int port, String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Sum of a Prometheus counter's samples on the supernode's /metrics. */
    private static double metric(String name) throws Exception {
        HttpResponse<byte[]> r = get(8002, "/metrics", null);
        assertThat(r.statusCode()).isEqualTo(200);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})?\\s+(\\S+)$")
                .matcher(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
            found = true;
        }
        assertThat(found).as("metric %s on /metrics", name).isTrue();
        return sum;
    }
}
