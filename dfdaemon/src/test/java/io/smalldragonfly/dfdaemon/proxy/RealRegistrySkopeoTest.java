package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfdaemon.blob.BlobFetcher;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.blob.EngineBlobFetcher;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.LocalTools;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing, short of dockerd: Debian's {@code docker-registry} (distribution 2.8) on
 * 127.0.0.1 holds an image pushed with {@code skopeo}; {@code skopeo copy docker://docker.io/...}
 * with a {@code registries.conf} mirror pointing at dfdaemon pulls it back. There is no Docker Hub
 * here, so the copy succeeding means the mirror served it, and the blob fetcher (the P2P slot,
 * here delegating to the direct fetcher) must have seen every blob.
 *
 * <p>A second registry serves HTTPS with a certificate from a CA generated here (dfdaemon trusts
 * it through {@code --registry-ca}) behind htpasswd basic auth: skopeo's credentials pass through
 * dfdaemon to the registry, for manifests and for the blob fetcher.
 *
 * <p>Skipped (assumption) where {@code docker-registry} or {@code skopeo} is not installed:
 * {@code apt-get install -y docker-registry skopeo}.
 */
class RealRegistrySkopeoTest {

    @TempDir
    Path dir;

    static final String REGISTRY = LocalTools.REGISTRY;
    static final String SKOPEO = "/usr/bin/skopeo";
    static final String CONTAINERD = "/usr/bin/containerd";
    static final String CTR = "/usr/bin/ctr";

    private Process registry;
    private Process containerd;

    @AfterEach
    void stopDaemons() throws InterruptedException {
        for (Process p : new Process[] {containerd, registry}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    @Test
    void skopeoPullsThroughDfdaemonFromARealRegistry() throws Exception {
        assumeTools();
        int registryPort = LocalTools.freePort();
        startRegistry(registryPort, "");
        Image image = buildOciLayout(dir.resolve("layout"));
        run(SKOPEO, "--insecure-policy", "copy", "--dest-tls-verify=false",
                "oci:" + dir.resolve("layout") + ":v1", "docker://127.0.0.1:" + registryPort + "/library/dfhello:v1");
        pullThroughDfdaemon(DfdaemonConfig.forRegistry(URI.create("http://127.0.0.1:" + registryPort), dir), image, null,
                direct -> direct);
    }

    /** An HTTPS registry (certificate from a CA generated here) behind htpasswd basic auth. */
    @Test
    void skopeoPullsFromAnHttpsRegistryWithBasicAuth() throws Exception {
        assumeTools();
        X509Bundle ca = new CertificateBuilder().subject("CN=dfdaemon test CA").setIsCertificateAuthority(true)
                .ecp256().buildSelfSigned();
        X509Bundle server = new CertificateBuilder().subject("CN=127.0.0.1").addSanIpAddress("127.0.0.1")
                .ecp256().buildIssuedBy(ca);
        Path caPem = Files.writeString(dir.resolve("ca.pem"), ca.getCertificatePEM());
        Path certPem = Files.writeString(dir.resolve("server.pem"), server.getCertificatePEM());
        Path keyPem = Files.writeString(dir.resolve("server-key.pem"), server.getPrivateKeyPEM());
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        Path htpasswd = Files.writeString(dir.resolve("htpasswd"), FakeRegistry.USER + ":"
                + OpenBSDBCrypt.generate("2a", FakeRegistry.PASSWORD.toCharArray(), salt, 6) + "\n");

        int registryPort = LocalTools.freePort();
        startRegistry(registryPort, """
                  tls:
                    certificate: %s
                    key: %s
                auth:
                  htpasswd:
                    realm: dfdaemon-test
                    path: %s
                """.formatted(certPem, keyPem, htpasswd));
        Image image = buildOciLayout(dir.resolve("layout"));
        String creds = FakeRegistry.USER + ":" + FakeRegistry.PASSWORD;
        run(SKOPEO, "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", creds,
                "oci:" + dir.resolve("layout") + ":v1", "docker://127.0.0.1:" + registryPort + "/library/dfhello:v1");
        DfdaemonConfig config = DfdaemonConfig.forRegistry(URI.create("https://127.0.0.1:" + registryPort), dir)
                .withTls(List.of(caPem), false);
        // Blobs through the swarm: the supernode's CDN trusts the registry's CA through --source-ca.
        try (Supernode sn = Supernode.start(SupernodeConfig.forTest(dir.resolve("sn")).toBuilder()
                     .sourceCas(List.of(caPem)).build());
             EngineBlobFetcher p2p = EngineBlobFetcher.start(EngineBlobFetcher.Settings.of(
                     List.of(SupernodeAddress.of("127.0.0.1", sn.apiPort())), dir.resolve("node")))) {
            List<BlobRequest> seen = pullThroughDfdaemon(config, image, creds, direct -> p2p);
            assertThat(seen).allSatisfy(r -> assertThat(r.headers().get("authorization")).startsWith("Basic "));
            assertThat(sn.metrics().sourceBytesTotal()).as("the CDN fetched the blobs over https").isPositive();
        }
    }

    /**
     * containerd's {@code hosts.toml} mirror: {@code ctr image pull} (fetch and unpack into the
     * overlayfs snapshotter) against a containerd of this test's own, with dfdaemon's blobs going
     * through the P2P path (supernode and dfget engine in-process).
     */
    @Test
    void containerdFetchesThroughAHostsTomlMirror() throws Exception {
        assumeTools();
        Prerequisites.require(Files.isExecutable(Path.of(CONTAINERD)) && Files.isExecutable(Path.of(CTR)),
                "containerd and ctr are installed");
        int registryPort = LocalTools.freePort();
        startRegistry(registryPort, "");
        Image image = buildOciLayout(dir.resolve("layout"));
        run(SKOPEO, "--insecure-policy", "copy", "--dest-tls-verify=false",
                "oci:" + dir.resolve("layout") + ":v1", "docker://127.0.0.1:" + registryPort + "/library/dfhello:v1");

        Path sock = dir.resolve("c/containerd.sock");
        Files.createDirectories(sock.getParent());
        Path config = Files.writeString(dir.resolve("containerd.toml"), """
                version = 2
                root = "%s"
                state = "%s"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "%s"
                """.formatted(dir.resolve("c/root"), dir.resolve("c/state"), sock));
        containerd = new ProcessBuilder(CONTAINERD, "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(sock) || !containerd.isAlive());
        assertThat(containerd.isAlive()).as("containerd started").isTrue();

        List<BlobRequest> seen = new CopyOnWriteArrayList<>();
        DfdaemonConfig dfConfig = DfdaemonConfig.forRegistry(URI.create("http://127.0.0.1:" + registryPort), dir);
        // the P2P path for real: a supernode and the dfget engine in-process
        try (Supernode sn = Supernode.start(SupernodeConfig.forTest(dir.resolve("sn")));
             EngineBlobFetcher p2p = EngineBlobFetcher.start(EngineBlobFetcher.Settings.of(
                     List.of(SupernodeAddress.of("127.0.0.1", sn.apiPort())), dir.resolve("node")));
             DfdaemonServer dfdaemon = DfdaemonServer.start(dfConfig, direct -> request -> {
                 seen.add(request);
                 return p2p.fetch(request);
             })) {
            Path hosts = Files.createDirectories(dir.resolve("certs.d/docker.io"));
            Files.writeString(hosts.resolve("hosts.toml"), """
                    server = "https://registry-1.docker.io"

                    [host."http://127.0.0.1:%d"]
                      capabilities = ["pull", "resolve"]
                    """.formatted(dfdaemon.port()));
            run(CTR, "--address", sock.toString(), "--namespace", "dfdaemon-test", "image", "pull",
                    "--hosts-dir", dir.resolve("certs.d").toString(), "docker.io/library/dfhello:v1");
            assertThat(dfdaemon.metrics().blobs("p2p")).as("through the supernode")
                    .isGreaterThanOrEqualTo(image.blobDigests().size());
            assertThat(dfdaemon.metrics().blobs("direct")).isZero();
            assertThat(sn.metrics().sourceBytesTotal()).isPositive();
            assertThat(seen).extracting(r -> r.digest().orElseThrow())
                    .as("every blob went through the blob fetcher (containerd adds ?ns=docker.io)")
                    .containsAll(image.blobDigests());
            for (String digest : image.blobDigests()) {
                Path stored = dir.resolve("c/root/io.containerd.content.v1.content/blobs/sha256/"
                        + digest.substring("sha256:".length()));
                assertThat("sha256:" + Digests.sha256Hex(stored)).isEqualTo(digest);
            }
        }
    }

    /**
     * Pulls docker.io/library/dfhello:v1 with dfdaemon as the mirror; {@code creds} user:password or
     * null; {@code slot} picks the blob fetcher given the direct one, and must use it: no blob may
     * fall back to the registry.
     */
    private List<BlobRequest> pullThroughDfdaemon(DfdaemonConfig config, Image image, String creds,
                                                  java.util.function.UnaryOperator<BlobFetcher> slot) throws Exception {
        List<BlobRequest> seen = new CopyOnWriteArrayList<>();
        try (DfdaemonServer dfdaemon = DfdaemonServer.start(config, direct -> request -> {
            seen.add(request);
            return slot.apply(direct).fetch(request);
        })) {
            Path conf = LocalTools.registriesConf(dir, dfdaemon.port());
            List<String> cmd = new ArrayList<>(List.of(SKOPEO, "--insecure-policy", "--registries-conf", conf.toString(),
                    "copy"));
            if (creds != null) {
                // containers/image looks credentials up by the mirror's host, not by docker.io
                Files.writeString(dir.resolve("auth.json"), "{\"auths\":{\"127.0.0.1:" + dfdaemon.port()
                        + "\":{\"auth\":\"" + java.util.Base64.getEncoder().encodeToString(
                                creds.getBytes(StandardCharsets.UTF_8)) + "\"}}}");
            }
            cmd.addAll(List.of("docker://docker.io/library/dfhello:v1", "oci:" + dir.resolve("pulled") + ":v1"));
            run(cmd.toArray(String[]::new));

            for (String digest : image.blobDigests()) {
                Path pulled = dir.resolve("pulled/blobs/sha256/" + digest.substring("sha256:".length()));
                assertThat(pulled).exists();
                assertThat("sha256:" + Digests.sha256Hex(pulled)).isEqualTo(digest);
            }
            assertThat(seen).extracting(r -> r.digest().orElseThrow())
                    .as("every blob went through the blob fetcher, keyed by digest")
                    .containsAll(image.blobDigests());
            assertThat(dfdaemon.metrics().blobs("p2p")).isGreaterThanOrEqualTo(image.blobDigests().size());
            assertThat(dfdaemon.metrics().blobs("direct")).as("no fallback to the registry").isZero();
            assertThat(dfdaemon.metrics().requests("registry")).as("manifest and /v2/ were reverse-proxied").isPositive();
        }
        return seen;
    }

    private static void assumeTools() {
        Prerequisites.require(Files.isExecutable(Path.of(REGISTRY)) && Files.isExecutable(Path.of(SKOPEO)),
                "docker-registry and skopeo are installed");
    }

    record Image(List<String> blobDigests) {}

    /** An OCI layout with two gzip'd tar layers (real tar archives, random data) and a config. */
    private Image buildOciLayout(Path layout) throws IOException, InterruptedException {
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        List<String> layerDescs = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < 2; i++) {
            Path content = Files.createDirectories(dir.resolve("layer" + i));
            byte[] data = new byte[(i + 1) * 700_000];
            random.nextBytes(data);
            Files.write(content.resolve("data" + i + ".bin"), data);
            Path tar = dir.resolve("layer" + i + ".tar");
            run("tar", "--sort=name", "--owner=0", "--group=0", "--mtime=@0", "-C", content.toString(), "-cf",
                    tar.toString(), ".");
            diffIds.add("\"sha256:" + Digests.sha256Hex(tar) + "\"");
            Path gz = dir.resolve("layer" + i + ".tar.gz");
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
                Files.copy(tar, out);
            }
            String digest = store(blobs, Files.readAllBytes(gz));
            digests.add(digest);
            layerDescs.add("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + digest
                    + "\",\"size\":" + Files.size(gz) + "}");
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                + "\"diff_ids\":[" + String.join(",", diffIds) + "]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = store(blobs, config);
        digests.add(configDigest);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[" + String.join(",", layerDescs) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        String manifestDigest = store(blobs, manifest);
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestDigest + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
        return new Image(List.copyOf(digests));
    }

    private static String store(Path blobs, byte[] content) throws IOException {
        String hex = Digests.sha256Hex(content);
        Files.write(blobs.resolve(hex), content);
        return "sha256:" + hex;
    }

    private void startRegistry(int port, String extraYaml) throws IOException {
        registry = LocalTools.startRegistry(dir, port, extraYaml);
    }

    private void run(String... command) throws IOException, InterruptedException {
        LocalTools.run(dir, command);
    }
}
