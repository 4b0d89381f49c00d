package io.smalldragonfly.docker;

import static io.smalldragonfly.docker.DockerSupport.docker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.testing.PrivateDockerd;
import io.smalldragonfly.common.testing.TestOrigin;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Dragonfly how-to this project reproduces, in its order, with our images and the docker CLI as
 * a user types it (host networking: the daemon here has no bridge):
 * <pre>
 * docker run -d --name sd-test-supernode --network host -e SUPERNODE_BIND=127.0.0.1 \
 *   small-dragonfly/supernode -Dsupernode.advertiseIp=127.0.0.1
 * docker run -d --name dfclient01 --network host -e DFDAEMON_BIND=127.0.0.1 -e DFDAEMON_NODE=127.0.0.1:8002 \
 *   small-dragonfly/dfclient --registry http://127.0.0.1:REGISTRY_PORT
 * /etc/docker/daemon.json: { "registry-mirrors": ["http://127.0.0.1:65001"] }
 * docker pull sd-walkthrough:1
 * docker exec dfclient01 grep 'downloading piece' /root/.small-dragonfly/logs/dfclient.log
 * docker exec dfclient01 dfget -u PAGE_URL -o /tmp/test.html --node 127.0.0.1,127.0.0.2
 * </pre>
 * The registry is our registry image (Debian's docker-registry) on a free port, holding a
 * multi-layer image built here FROM scratch and pushed under a Docker Hub name's path
 * ({@code library/...}); the pulling dockerd is a private one whose daemon.json names dfdaemon as
 * its mirror (the machine's dockerd is left alone), and since Docker Hub cannot be reached, the
 * pull succeeding means the mirror served it. The page is served chunked, without Content-Length
 * and without ranges, as the how-to's web page is; 127.0.0.2 has no supernode.
 *
 * <p>Every command and its output go to {@code docker/target/walkthrough.txt} (the README's
 * transcript is one such run).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalkthroughE2ETest {

    private static final String IMAGE = "sd-walkthrough:1";
    private static final String REPOSITORY = "library/sd-walkthrough";
    private static final int[] LAYER_MIB = {2, 5, 9};   // 1, 2 and 3 pieces of 4 MiB
    private static final String CLIENT_LOG = "/root/.small-dragonfly/logs/dfclient.log";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> CONTAINERS = List.of("sd-test-registry", "sd-test-supernode", "dfclient01");

    private static final StringBuilder transcript = new StringBuilder();
    private static int registryPort;
    private static String pushed;
    private static List<String> layers;
    private static Path dockerdDir;
    private static PrivateDockerd dockerd;
    private static TestOrigin origin;
    private static String pageUrl;
    private static byte[] page;

    @BeforeAll
    static void up() throws Exception {
        DockerSupport.assumeDocker();
        Prerequisites.require(PrivateDockerd.available(), "root, /usr/sbin/dockerd and /usr/bin/docker are needed"
                + " for the pulling dockerd");
        DockerSupport.buildImages();
        // the how-to's ports: the supernode's (`--node 127.0.0.1` means :8002) and dfdaemon's mirror
        DockerSupport.requireFreePorts(8001, 8002, 65001);
        CONTAINERS.forEach(DockerSupport::removeByName);

        // A local registry (our registry image: Debian's docker-registry) with a multi-layer image.
        registryPort = DockerSupport.freePort();
        transcript.append("# a local registry with a three-layer image (the how-to pulls from Docker Hub)\n");
        user("docker", "run", "-d", "--name", "sd-test-registry", "--network", "host",
                "-e", "REGISTRY_HTTP_ADDR=127.0.0.1:" + registryPort, DockerSupport.image("registry")).ok();
        awaitHttp(registryPort, "/v2/");
        pushed = "127.0.0.1:" + registryPort + "/" + REPOSITORY + ":1";
        buildAndPush();
        layers = layerDigests();
        assertThat(layers).hasSize(LAYER_MIB.length);

        origin = TestOrigin.start();
        page = ("<!DOCTYPE html>\n<html><head><title>small-dragonfly walkthrough</title></head>\n"
                + "<body><p>Served chunked, without Content-Length.</p></body></html>\n")
                .getBytes(StandardCharsets.UTF_8);
        origin.serve("/index.html", page).chunked().noRanges();
        pageUrl = origin.url("/index.html");
    }

    @AfterAll
    static void down() throws Exception {
        Path logs = DockerSupport.TARGET.resolve("container-logs");
        Files.createDirectories(logs);
        for (String c : CONTAINERS) {
            DockerSupport.Cli l = docker("logs", c);
            if (l.exit() == 0) {
                Files.writeString(logs.resolve("walkthrough-" + c + ".log"), l.output());
            }
            DockerSupport.removeByName(c);
        }
        if (dockerd != null) {
            Files.copy(dockerdDir.resolve("dockerd.log"), logs.resolve("walkthrough-dockerd.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            dockerd.close();
        }
        if (dockerdDir != null) {
            deleteQuietly(dockerdDir);
        }
        if (origin != null) {
            origin.close();
        }
        Files.writeString(DockerSupport.TARGET.resolve("walkthrough.txt"), transcript);
    }

    @Test
    @Order(1)
    void theSupernodeContainerStarts() throws Exception {
        transcript.append("# the how-to\n");
        user("docker", "run", "-d", "--name", "sd-test-supernode", "--network", "host", "-e", "SUPERNODE_BIND=127.0.0.1",
                DockerSupport.image("supernode"), "-Dsupernode.advertiseIp=127.0.0.1").ok();
        awaitHttp(8002, "/_ping");
    }

    @Test
    @Order(2)
    void dfclient01StartsWithTheLocalRegistry() throws Exception {
        user("docker", "run", "-d", "--name", "dfclient01", "--network", "host", "-e", "DFDAEMON_BIND=127.0.0.1",
                "-e", "DFDAEMON_NODE=127.0.0.1:8002", DockerSupport.image("dfclient"),
                "--registry", "http://127.0.0.1:" + registryPort).ok();
        awaitHttp(65001, "/_ping");
        assertThat(get(65001, "/v2/").statusCode()).as("the registry's /v2/ through dfdaemon").isEqualTo(200);
    }

    @Test
    @Order(3)
    void aDockerdWithTheMirrorPullsTheImage() throws Exception {
        // /etc/docker/daemon.json as the how-to writes it, for a dockerd of this test's own
        String daemonJson = "{ \"registry-mirrors\": [\"http://127.0.0.1:65001\"] }";
        transcript.append("$ cat /etc/docker/daemon.json\n").append(daemonJson).append("\n");
        dockerdDir = Files.createTempDirectory(Path.of("/tmp"), "sdwt");   // short: the socket path
        dockerd = PrivateDockerd.startWithConfig(dockerdDir, daemonJson);

        transcript.append("$ docker pull ").append(IMAGE).append('\n');
        String pull = dockerd.docker("pull", IMAGE);
        transcript.append(pull);
        assertThat(pull).contains("Downloaded newer image for " + IMAGE);
        for (String layer : layers) {
            assertThat(pull).contains(layer.substring("sha256:".length(), "sha256:".length() + 12) + ": Pull complete");
        }
    }

    @Test
    @Order(4)
    void theHowTosGrepFindsEveryLayersPiecesInDfclientLog() {
        DockerSupport.Cli grep = user("docker", "exec", "dfclient01", "grep", "downloading piece", CLIENT_LOG).ok();
        List<String> lines = grep.output().lines().filter(l -> l.contains("downloading piece:{")).toList();
        assertThat(lines).as("grep's output").isNotEmpty();
        for (int i = 0; i < layers.size(); i++) {
            String digest = layers.get(i);
            String taskId = TaskId.compute("http://127.0.0.1:" + registryPort + "/v2/" + REPOSITORY + "/blobs/" + digest,
                    null, digest).value();
            assertThat(lines).as("pieces of layer %s (task %s)", digest, taskId)
                    .filteredOn(l -> l.contains("\"taskID\":\"" + taskId + "\",\"superNode\":\"127.0.0.1\""))
                    .hasSizeGreaterThanOrEqualTo((LAYER_MIB[i] + 3) / 4);
        }
        // dfdaemon's own log keeps the proxy's lines, not the engine's
        String own = docker("exec", "dfclient01", "cat", "/root/.small-dragonfly/logs/dfdaemon.log").ok().output();
        assertThat(own).doesNotContain("downloading piece");
        for (String layer : layers) {
            assertThat(own).contains("blob " + layer + ": ").contains(" bytes from p2p");
        }
    }

    @Test
    @Order(5)
    void dfgetWithTwoSupernodesTheSecondDeadGetsThePageWithoutContentLength() {
        user("docker", "exec", "dfclient01", "dfget", "-u", pageUrl, "-o", "/tmp/test.html",
                "--node", "127.0.0.1,127.0.0.2").ok();
        String got = user("docker", "exec", "dfclient01", "cat", "/tmp/test.html").ok().output();
        assertThat(got).isEqualTo(new String(page, StandardCharsets.UTF_8));
        assertThat(origin.requests()).as("the origin was asked for the page").anySatisfy(r ->
                assertThat(r.path()).isEqualTo("/index.html"));
        String taskId = TaskId.compute(pageUrl, null, null).value();
        assertThat(docker("exec", "dfclient01", "grep", "downloading piece", CLIENT_LOG).ok().output())
                .contains("\"taskID\":\"" + taskId + "\",\"superNode\":\"127.0.0.1\"");
    }

    /** A command of the walkthrough: run, and written to the transcript with its output. */
    private static DockerSupport.Cli user(String... command) {
        List<String> args = new ArrayList<>(List.of(command).subList(1, command.length));
        DockerSupport.Cli r = docker(args.toArray(String[]::new));
        transcript.append("$ ").append(shellLine(command)).append('\n').append(r.output());
        return r;
    }

    private static String shellLine(String... command) {
        List<String> words = new ArrayList<>();
        for (String w : command) {
            words.add(w.matches("[A-Za-z0-9_./:=,@%+-]+") ? w : "'" + w + "'");
        }
        return String.join(" ", words);
    }

    /** Three layers of random data FROM scratch, pushed to the local registry, then removed locally. */
    private static void buildAndPush() throws Exception {
        Path ctx = Files.createTempDirectory(DockerSupport.TARGET, "walkthrough-");
        StringBuilder dockerfile = new StringBuilder("FROM scratch\n");
        Random random = new Random(13);
        for (int i = 0; i < LAYER_MIB.length; i++) {
            byte[] data = new byte[LAYER_MIB[i] * 1024 * 1024];
            random.nextBytes(data);
            Files.write(ctx.resolve("data" + i), data);
            dockerfile.append("COPY data").append(i).append(" /data/").append(i).append('\n');
        }
        Files.writeString(ctx.resolve("Dockerfile"), dockerfile);
        transcript.append("$ cat Dockerfile\n").append(dockerfile);
        DockerSupport.Cli build = docker("build", "-q", "-t", pushed, ctx.toString()).ok();
        transcript.append("$ docker build -q -t ").append(pushed).append(" .\n").append(build.output());
        user("docker", "push", pushed).ok();
        user("docker", "rmi", pushed).ok();
        DockerSupport.deleteTree(ctx);
    }

    /** The image's layer digests, in order, from the registry's manifest. */
    private static List<String> layerDigests() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + registryPort + "/v2/" + REPOSITORY
                        + "/manifests/1"))
                .header("Accept", "application/vnd.docker.distribution.manifest.v2+json").build();
        HttpResponse<byte[]> r = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        for (JsonNode l : JSON.readTree(r.body()).path("layers")) {
            out.add(l.path("digest").asText());
        }
        return out;
    }

    private static HttpResponse<byte[]> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void awaitHttp(int port, String path) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> assertThat(get(port, path).statusCode()).isEqualTo(200));
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            System.err.println("walkthrough: could not remove " + dir + ": " + e);
        }
    }
}
