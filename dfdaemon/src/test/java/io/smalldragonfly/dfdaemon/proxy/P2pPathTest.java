package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfdaemon.blob.EngineBlobFetcher;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.store.TaskMeta;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dfdaemon with the real P2P path: the dfget engine in-process over an in-process supernode, in
 * front of the fake registry. Blobs go registry -> supernode CDN -> node A, and node B (another
 * dfdaemon, its own home and upload server) gets them from node A's upload server.
 */
class P2pPathTest {

    @TempDir
    Path tmp;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private Supernode supernode() {
        return track(Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn"))));
    }

    private record Node(DfdaemonServer server, EngineBlobFetcher p2p, Path home) {
        int port() {
            return server.port();
        }
    }

    private Node node(String name, FakeRegistry registry, int supernodePort, Duration expire) throws IOException {
        Path home = Files.createDirectories(tmp.resolve(name));
        EngineBlobFetcher p2p = track(EngineBlobFetcher.start(EngineBlobFetcher.Settings
                .of(List.of(SupernodeAddress.of("127.0.0.1", supernodePort)), home).withExpireTime(expire)));
        DfdaemonServer server = track(DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home),
                direct -> p2p));
        return new Node(server, p2p, home);
    }

    private static String blobPath(String digest) {
        return "/v2/" + FakeRegistry.NAME + "/blobs/" + digest;
    }

    /** GETs of the blob path that carried a body (the CDN's fetch; not its probe, not HEAD). */
    private static long bodyGets(FakeRegistry registry, String digest) {
        return registry.seen(blobPath(digest)).stream()
                .filter(s -> s.method().equals("GET") && s.header("range") == null).count();
    }

    @Test
    void aBlobGoesThroughTheSupernodeWithTheDigestAsIdentifierAndTheClientsAuthorization() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http().requireAuth(true));
        Supernode sn = supernode();
        Node a = node("a", registry, sn.apiPort(), Duration.ofMinutes(3));
        String digest = FakeRegistry.digest(registry.layer2);
        String auth = "Authorization: Bearer " + FakeRegistry.TOKEN;

        RawHttp.Response r = RawHttp.exchange(a.port(), "GET", blobPath(digest), auth);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).isTrue();
        assertThat(r.body()).isEqualTo(registry.layer2);
        assertThat(r.header("content-length")).isEqualTo(String.valueOf(registry.layer2.length));
        assertThat(r.header("docker-content-digest")).isEqualTo(digest);
        assertThat(a.server().metrics().blobs("p2p")).isEqualTo(1);
        assertThat(a.server().metrics().fallbacks()).isZero();

        // the supernode's CDN fetched it from the registry, once, with the client's credentials
        assertThat(sn.metrics().sourceBytesTotal()).isGreaterThanOrEqualTo(registry.layer2.length);
        assertThat(bodyGets(registry, digest)).isEqualTo(1);
        assertThat(registry.seen(blobPath(digest))).allSatisfy(s ->
                assertThat(s.header("authorization")).isEqualTo("Bearer " + FakeRegistry.TOKEN));
        assertThat(sn.metrics().scheduledFrom("cdn")).isPositive();

        // the task id: the registry's blob URL with the full digest "sha256:<hex>" as identifier
        String expectedTask = TaskId.compute(registry.uri() + blobPath(digest), null, digest).value();
        List<String> served = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(a.home().resolve("data"), "*.meta")) {
            for (Path meta : ds) {
                served.add(TaskMeta.read(meta).taskId());
            }
        }
        assertThat(served).containsExactly(expectedTask);
        assertThat(Files.readString(a.home().resolve("data").resolve(
                Files.list(a.home().resolve("data")).filter(p -> p.toString().endsWith(".meta")).findFirst()
                        .orElseThrow().getFileName()))).doesNotContain(FakeRegistry.TOKEN);

        // a second GET on this node is served from its finished copy: the registry is not asked again
        RawHttp.Response again = RawHttp.exchange(a.port(), "GET", blobPath(digest), auth);
        assertThat(again.body()).isEqualTo(registry.layer2);
        assertThat(bodyGets(registry, digest)).isEqualTo(1);
        assertThat(a.server().metrics().blobs("p2p")).isEqualTo(2);
    }

    /** One engine a host: dfdaemon is its home's peer process, so a plain dfget of that home runs in it. */
    @Test
    void aDfgetOfDfdaemonsHomeDownloadsThroughDfdaemonsEngine() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        Supernode sn = supernode();
        Node a = node("a", registry, sn.apiPort(), Duration.ofMinutes(3));
        io.smalldragonfly.dfget.upload.UploadServerClient.State peer =
                io.smalldragonfly.dfget.upload.UploadServerClient.findState(a.home()).orElseThrow();
        assertThat(peer.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(peer.port()).isEqualTo(a.p2p().uploadPort());

        String digest = FakeRegistry.digest(registry.layer2);
        Path out = tmp.resolve("layer.bin");
        java.io.StringWriter json = new java.io.StringWriter();
        picocli.CommandLine cl = io.smalldragonfly.dfget.DfgetCli.commandLine();
        cl.setOut(new java.io.PrintWriter(json, true));
        cl.setErr(new java.io.PrintWriter(new java.io.StringWriter(), true));
        int code = cl.execute("-u", registry.uri() + blobPath(digest), "-o", out.toString(), "-n",
                "127.0.0.1:" + sn.apiPort(), "--home", a.home().toString(), "--ip", "127.0.0.1", "--notbs", "--json");
        assertThat(code).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(registry.layer2);
        assertThat(json.toString()).contains("\"result\":\"success\"");
        // the same process, and no other one started for the home
        assertThat(io.smalldragonfly.dfget.upload.UploadServerClient.findState(a.home()).orElseThrow().pid())
                .isEqualTo(ProcessHandle.current().pid());
        assertThat(ProcessHandle.allProcesses().filter(ph -> ph.info().commandLine()
                .map(c -> c.contains("DfgetMain server") && c.contains(a.home().toString())).orElse(false)))
                .isEmpty();
    }

    /** Debug logging on, Bearer credentials and a signed proxy-mode URL through the engine: none in the log. */
    @Test
    void noCredentialOrSignatureInTheLogOnTheP2pPath() throws Exception {
        Path logs = tmp.resolve("logs");
        io.smalldragonfly.common.log.Logging.configure(logs, "dfdaemon", true, false);
        FakeRegistry registry = track(FakeRegistry.http().requireAuth(true));
        Supernode sn = supernode();
        Path home = Files.createDirectories(tmp.resolve("a"));
        EngineBlobFetcher p2p = track(EngineBlobFetcher.start(EngineBlobFetcher.Settings.of(
                List.of(SupernodeAddress.of("127.0.0.1", sn.apiPort())), home)));
        DfdaemonServer a = track(DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home)
                .withRules(List.of(io.smalldragonfly.dfdaemon.config.ProxyRule.p2p("blobs"))), direct -> p2p));
        String bearer = "Authorization: Bearer " + FakeRegistry.TOKEN;
        String digest = FakeRegistry.digest(registry.layer1);
        assertThat(RawHttp.exchange(a.port(), "GET", blobPath(digest), bearer).body()).isEqualTo(registry.layer1);
        // proxy mode: the registry's own host is allowed; the signature is filtered out of the task
        RawHttp.Response proxied = RawHttp.exchange(a.port(), "GET", registry.uri() + blobPath(
                FakeRegistry.digest(registry.layer2)) + "?Signature=SIGNATURE-SECRET-42&Expires=1", bearer);
        assertThat(proxied.body()).isEqualTo(registry.layer2);
        assertThat(a.metrics().blobs("p2p")).isEqualTo(2);
        String log;
        try (var files = Files.list(logs)) {
            StringBuilder all = new StringBuilder();
            for (Path f : files.toList()) {
                all.append(Files.readString(f));
            }
            log = all.toString();
        }
        assertThat(log).as("the engine logged at debug").contains("registered");
        assertThat(log).doesNotContain(FakeRegistry.TOKEN, "SIGNATURE-SECRET", "Bearer");
    }

    @Test
    void theSecondNodeGetsItsPiecesFromTheFirstNodesPeer() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        long length = 22L * 1024 * 1024; // 6 pieces of 4 MiB
        String digest = registry.generated(length);
        Supernode sn = supernode();
        Node a = node("a", registry, sn.apiPort(), Duration.ofMinutes(3));
        Node b = node("b", registry, sn.apiPort(), Duration.ofMinutes(3));

        RawHttp.Response ra = RawHttp.exchange(a.port(), "GET", blobPath(digest));
        assertThat(ra.complete()).isTrue();
        assertThat("sha256:" + Digests.sha256Hex(ra.body())).isEqualTo(digest);
        double fromPeerBefore = sn.metrics().scheduledFrom("peer");
        double cdnBefore = sn.metrics().scheduledFrom("cdn");

        RawHttp.Response rb = RawHttp.exchange(b.port(), "GET", blobPath(digest));
        assertThat(rb.complete()).isTrue();
        assertThat("sha256:" + Digests.sha256Hex(rb.body())).isEqualTo(digest);
        assertThat(b.server().metrics().blobs("p2p")).isEqualTo(1);

        assertThat(sn.metrics().scheduledFrom("peer") - fromPeerBefore)
                .as("node B's pieces were scheduled from node A's upload server").isGreaterThanOrEqualTo(6);
        assertThat(sn.metrics().scheduledFrom("cdn")).as("no CDN piece for node B").isEqualTo(cdnBefore);
        assertThat(registry.generatedBytesWritten()).as("the registry sent the blob once in all").isEqualTo(length);
    }

    @Test
    void concurrentGetsOfOneBlobOnOneNodeShareOneDownload() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        long length = 12L * 1024 * 1024;
        String digest = registry.generated(length);
        Supernode sn = supernode();
        Node a = node("a", registry, sn.apiPort(), Duration.ofMinutes(3));

        List<CompletableFuture<RawHttp.Response>> gets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            gets.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return RawHttp.exchange(a.port(), "GET", blobPath(digest));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (CompletableFuture<RawHttp.Response> g : gets) {
            RawHttp.Response r = g.join();
            assertThat(r.complete()).isTrue();
            assertThat("sha256:" + Digests.sha256Hex(r.body())).isEqualTo(digest);
        }
        assertThat(a.server().metrics().blobs("p2p")).isEqualTo(3);
        assertThat(registry.generatedBytesWritten()).isEqualTo(length);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(a.home().resolve("data"), "*.meta")) {
            assertThat(ds).as("one download, one served file").hasSize(1);
        }
    }

    @Test
    void finishedBlobsExpire() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        Supernode sn = supernode();
        Node a = node("a", registry, sn.apiPort(), Duration.ofSeconds(1));
        String digest = FakeRegistry.digest(registry.layer1);
        assertThat(RawHttp.exchange(a.port(), "GET", blobPath(digest)).body()).isEqualTo(registry.layer1);
        Path local = a.home().resolve("dfdaemon/blobs").resolve(digest.substring("sha256:".length()));
        assertThat(local).exists();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(local).doesNotExist();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(a.home().resolve("data"))) {
                assertThat(ds).as("the upload server stopped serving it too").isEmpty();
            }
        });
        // and it is fetched again when asked for
        assertThat(RawHttp.exchange(a.port(), "GET", blobPath(digest)).body()).isEqualTo(registry.layer1);
    }

    /** {@code --ratelimit} reaches the engine: its download of the blob is paced (the stream is not limited here). */
    @Test
    void theRateLimitPacesTheEngineDownload() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        Supernode sn = supernode();
        Path home = Files.createDirectories(tmp.resolve("slow"));
        EngineBlobFetcher p2p = track(EngineBlobFetcher.start(EngineBlobFetcher.Settings.of(
                List.of(SupernodeAddress.of("127.0.0.1", sn.apiPort())), home).withRateLimit(512 * 1024)));
        DfdaemonServer a = track(DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home), direct -> p2p));
        String digest = FakeRegistry.digest(registry.layer2); // 2.5 MB at 512 KiB/s: 4.8 s, less a burst
        long started = System.nanoTime();
        assertThat(RawHttp.exchange(a.port(), "GET", blobPath(digest)).body()).isEqualTo(registry.layer2);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(3500));
        assertThat(a.metrics().blobs("p2p")).isEqualTo(1);
    }

    @Test
    void supernodeDownFallsBackToTheRegistry() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Node a = node("a", registry, deadPort, Duration.ofMinutes(3));
        String digest = FakeRegistry.digest(registry.layer2);
        long started = System.nanoTime();
        RawHttp.Response r = RawHttp.exchange(a.port(), "GET", blobPath(digest));
        assertThat(r.body()).isEqualTo(registry.layer2);
        assertThat(a.server().metrics().blobs("direct")).isEqualTo(1);
        assertThat(a.server().metrics().blobs("p2p")).isZero();
        assertThat(a.server().metrics().fallbacks()).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no long wait for a dead supernode")
                .isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aDigestMismatchAbortsTheResponseAndTheBadCopyIsDropped() throws Exception {
        FakeRegistry registry = track(FakeRegistry.http());
        String digest = FakeRegistry.digest(registry.layer1);
        byte[] wrong = registry.layer1.clone();
        wrong[wrong.length / 2] ^= 1;
        registry.corrupt(digest, wrong);
        Supernode sn = supernode();
        Node a = node("a", registry, sn.apiPort(), Duration.ofMinutes(3));

        RawHttp.Response r = RawHttp.exchange(a.port(), "GET", blobPath(digest));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).as("the client sees a truncated body").isFalse();
        assertThat(a.server().metrics().streamErrors("digest_mismatch")).isEqualTo(1);
        assertThat(a.server().metrics().blobs("p2p")).isZero();
        Path local = a.home().resolve("dfdaemon/blobs").resolve(digest.substring("sha256:".length()));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(local).doesNotExist();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(a.home().resolve("data"))) {
                assertThat(ds).as("not served to peers").isEmpty();
            }
        });

        // docker's retry does not get the same bytes from the swarm: it goes to the registry
        long before = registry.seen(blobPath(digest)).size();
        RawHttp.Response retry = RawHttp.exchange(a.port(), "GET", blobPath(digest));
        assertThat(retry.complete()).isFalse();
        assertThat(a.server().metrics().fallbacks()).isEqualTo(1);
        assertThat(registry.seen(blobPath(digest)).size()).isEqualTo(before + 1);
        assertThat(a.server().metrics().streamErrors("digest_mismatch")).isEqualTo(2);
    }
}
