package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.testing.PrivateDockerd;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfdaemon.blob.EngineBlobFetcher;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.LocalTools;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path with real components: Debian's {@code docker-registry} holds a multi-layer image
 * built {@code FROM scratch} (busybox-static plus three layers of random data) by a private
 * dockerd; a second private dockerd whose only mirror is dfdaemon (node A: supernode and dfget
 * engine in-process) pulls {@code dfp2p:v1}, a Docker Hub name, and runs it. There is no Docker Hub
 * here, so the pull succeeding means the mirror served it. Then {@code skopeo copy} through node B
 * (another dfdaemon, its own home and upload server) pulls the same image, and its layers come from
 * node A's upload server: the registry's access log shows no second GET of any blob and the
 * supernode scheduled node B's pieces from a peer.
 *
 * <p>Skipped (assumption, with the reason) without root, dockerd, docker-registry, skopeo or
 * busybox-static ({@code scripts/install-deps.sh} installs them all).
 */
class RealDockerdP2pTest {

    static final String REGISTRY = LocalTools.REGISTRY;
    static final String SKOPEO = "/usr/bin/skopeo";
    static final String BUSYBOX = "/bin/busybox";
    static final String IMAGE = "library/dfp2p";

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ALWAYS)
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private Process registry;

    @AfterEach
    void stopAll() throws Exception {
        Throwable first = null;
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception | Error e) {
                first = first == null ? e : first;
            }
        }
        if (registry != null) {
            registry.destroy();
            if (!registry.waitFor(10, TimeUnit.SECONDS)) {
                registry.destroyForcibly();
            }
        }
        if (first instanceof Exception e) {
            throw e;
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    @Test
    void dockerdPullsThroughDfdaemonAndASecondNodeGetsTheLayersFromTheFirst() throws Exception {
        Prerequisites.require(PrivateDockerd.available(), "root, /usr/sbin/dockerd and /usr/bin/docker are needed");
        for (String tool : List.of(REGISTRY, SKOPEO, BUSYBOX)) {
            Prerequisites.require(Files.isExecutable(Path.of(tool)), tool + " is needed (scripts/install-deps.sh)");
        }
        int registryPort = LocalTools.freePort();
        startRegistry(registryPort);

        // build and push with a private dockerd (no mirror), then forget the image
        PrivateDockerd builder = track(PrivateDockerd.start(dir.resolve("d1")));
        String pushed = "127.0.0.1:" + registryPort + "/" + IMAGE + ":v1";
        List<String> dataSha = buildImage(builder, pushed);
        builder.docker("push", pushed);
        builder.docker("rmi", pushed);
        builder.close();
        List<String> blobs = blobDigests(registryPort);
        assertThat(blobs).as("config + 4 layers").hasSize(5);
        long getsAfterPush = blobGets(null);

        // node A, and a dockerd whose only mirror it is
        Supernode sn = track(Supernode.start(SupernodeConfig.forTest(dir.resolve("sn"))));
        URI registryUri = URI.create("http://127.0.0.1:" + registryPort);
        DfdaemonServer nodeA = node(registryUri, sn, dir.resolve("a"));
        PrivateDockerd docker = track(PrivateDockerd.start(dir.resolve("d2"),
                "--registry-mirror", "http://127.0.0.1:" + nodeA.port()));
        String pull = docker.docker("pull", "dfp2p:v1");
        assertThat(pull).contains("Downloaded newer image for dfp2p:v1");
        assertThat(nodeA.metrics().blobs("p2p")).as("every blob went through P2P").isGreaterThanOrEqualTo(5);
        assertThat(nodeA.metrics().blobs("direct")).isZero();
        for (String d : blobs) {
            assertThat(blobGets(d)).as("the CDN fetched %s from the registry once", d).isEqualTo(1);
        }
        assertThat(docker.docker("run", "--rm", "--network", "none", "dfp2p:v1").trim()).isEqualTo("ok");
        String sums = docker.docker("run", "--rm", "--network", "none", "dfp2p:v1",
                "/bin/busybox", "sha256sum", "/data/1", "/data/2", "/data/3");
        for (String sha : dataSha) {
            assertThat(sums).contains(sha);
        }

        // node B pulls the same image (skopeo through a registries.conf mirror, into a dir: as the registry has it): from node A's peer
        DfdaemonServer nodeB = node(registryUri, sn, dir.resolve("b"));
        double peerBefore = sn.metrics().scheduledFrom("peer");
        double cdnBefore = sn.metrics().scheduledFrom("cdn");
        Path conf = LocalTools.registriesConf(dir, nodeB.port());
        run(SKOPEO, "--insecure-policy", "--registries-conf", conf.toString(), "copy",
                "docker://docker.io/" + IMAGE + ":v1", "dir:" + dir.resolve("pulled"));
        for (String d : blobs) {
            Path pulled = dir.resolve("pulled/" + d.substring("sha256:".length()));
            assertThat("sha256:" + Digests.sha256Hex(pulled)).isEqualTo(d);
            assertThat(blobGets(d)).as("the registry was not asked for %s again", d).isEqualTo(1);
        }
        assertThat(nodeB.metrics().blobs("p2p")).isGreaterThanOrEqualTo(5);
        assertThat(sn.metrics().scheduledFrom("peer") - peerBefore)
                .as("node B's pieces came from node A's upload server").isGreaterThanOrEqualTo(5);
        assertThat(sn.metrics().scheduledFrom("cdn")).as("none from the CDN").isEqualTo(cdnBefore);
        assertThat(blobGets(null) - getsAfterPush).isEqualTo(blobs.size());
    }

    /**
     * A registry behind htpasswd basic auth (plain HTTP): skopeo's credentials go through dfdaemon
     * to the registry for manifests, and to the supernode's CDN as the blob task's source header.
     */
    @Test
    void skopeoPullsFromARegistryWithBasicAuthThroughP2p() throws Exception {
        Prerequisites.require(PrivateDockerd.available(), "root, /usr/sbin/dockerd and /usr/bin/docker are needed");
        for (String tool : List.of(REGISTRY, SKOPEO, BUSYBOX)) {
            Prerequisites.require(Files.isExecutable(Path.of(tool)), tool + " is needed (scripts/install-deps.sh)");
        }
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        Path htpasswd = Files.writeString(dir.resolve("htpasswd"), FakeRegistry.USER + ":"
                + OpenBSDBCrypt.generate("2a", FakeRegistry.PASSWORD.toCharArray(), salt, 6) + "\n");
        int registryPort = LocalTools.freePort();
        startRegistry(registryPort, """
                auth:
                  htpasswd:
                    realm: dfdaemon-test
                    path: %s
                """.formatted(htpasswd));
        String creds = FakeRegistry.USER + ":" + FakeRegistry.PASSWORD;

        PrivateDockerd builder = track(PrivateDockerd.start(dir.resolve("d1")));
        buildImage(builder, "dfauth:v1");
        run(SKOPEO, "--insecure-policy", "copy", "--src-daemon-host", builder.host(), "--dest-tls-verify=false",
                "--dest-creds", creds, "docker-daemon:dfauth:v1",
                "docker://127.0.0.1:" + registryPort + "/" + IMAGE + ":v1");
        builder.close();
        List<String> blobs = blobDigests(registryPort);

        Supernode sn = track(Supernode.start(SupernodeConfig.forTest(dir.resolve("sn"))));
        DfdaemonServer nodeA = node(URI.create("http://127.0.0.1:" + registryPort), sn, dir.resolve("a"));
        Path conf = LocalTools.registriesConf(dir, nodeA.port());
        // containers/image looks credentials up by the mirror's host
        Files.writeString(dir.resolve("auth.json"), "{\"auths\":{\"127.0.0.1:" + nodeA.port() + "\":{\"auth\":\""
                + java.util.Base64.getEncoder().encodeToString(creds.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "\"}}}");
        run(SKOPEO, "--insecure-policy", "--registries-conf", conf.toString(), "copy",
                "docker://docker.io/" + IMAGE + ":v1", "dir:" + dir.resolve("pulled"));
        for (String d : blobs) {
            Path pulled = dir.resolve("pulled/" + d.substring("sha256:".length()));
            assertThat("sha256:" + Digests.sha256Hex(pulled)).isEqualTo(d);
            assertThat(blobGets(d)).as("the CDN fetched %s with the credentials, once", d).isEqualTo(1);
        }
        assertThat(nodeA.metrics().blobs("p2p")).isGreaterThanOrEqualTo(blobs.size());
        assertThat(nodeA.metrics().blobs("direct")).isZero();
        assertThat(sn.metrics().sourceBytesTotal()).isPositive();
    }

    /** busybox-static and three layers of 3, 4 and 5 MiB of random data, FROM scratch; returns their sha256s. */
    private List<String> buildImage(PrivateDockerd builder, String tag) throws IOException, InterruptedException {
        Path ctx = Files.createDirectories(dir.resolve("ctx"));
        Files.copy(Path.of(BUSYBOX), ctx.resolve("busybox"));
        Random random = new Random(11);
        List<String> dataSha = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            byte[] data = new byte[(2 + i) * 1024 * 1024]; // 3, 4 and 5 MiB: 1-2 pieces each
            random.nextBytes(data);
            Files.write(ctx.resolve("data" + i), data);
            dataSha.add(Digests.sha256Hex(data));
        }
        Files.writeString(ctx.resolve("Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                COPY data1 /data/1
                COPY data2 /data/2
                COPY data3 /data/3
                CMD ["/bin/busybox", "echo", "ok"]
                """);
        builder.docker("build", "-q", "-t", tag, ctx.toString());
        return dataSha;
    }

    private DfdaemonServer node(URI registryUri, Supernode sn, Path home) throws IOException {
        Files.createDirectories(home);
        EngineBlobFetcher p2p = track(EngineBlobFetcher.start(EngineBlobFetcher.Settings.of(
                List.of(SupernodeAddress.of("127.0.0.1", sn.apiPort())), home)));
        return track(DfdaemonServer.start(DfdaemonConfig.forRegistry(registryUri, home), direct -> p2p));
    }

    private static final Pattern BLOB_GET = Pattern.compile("\"GET /v2/" + IMAGE + "/blobs/(sha256:[0-9a-f]{64}) HTTP");

    /** Blob GETs in the registry's access log, of {@code digest} or of any blob (null). */
    private long blobGets(String digest) throws IOException {
        long n = 0;
        for (String line : Files.readAllLines(dir.resolve("registry.log"))) {
            Matcher m = BLOB_GET.matcher(line);
            if (m.find() && (digest == null || m.group(1).equals(digest))) {
                n++;
            }
        }
        return n;
    }

    /** The image's blobs as the registry stores them. */
    private List<String> blobDigests(int port) throws IOException {
        List<String> out = new ArrayList<>();
        Path base = dir.resolve("registry-data/docker/registry/v2/repositories/" + IMAGE + "/_layers/sha256");
        try (var ds = Files.newDirectoryStream(base)) {
            for (Path p : ds) {
                out.add("sha256:" + p.getFileName());
            }
        }
        return out;
    }

    private void startRegistry(int port) throws IOException {
        startRegistry(port, "");
    }

    private void startRegistry(int port, String extraYaml) throws IOException {
        registry = LocalTools.startRegistry(dir, port, extraYaml);
    }

    private void run(String... command) throws IOException, InterruptedException {
        LocalTools.run(dir, command);
    }
}
