package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.dfdaemon.blob.BlobStream;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dfdaemon as a registry mirror in front of {@link FakeRegistry}, with a test double in the P2P slot. */
class ReverseProxyTest {

    @TempDir
    static Path home;

    static FakeRegistry registry;
    static SwitchableFetcher p2p = new SwitchableFetcher();
    static DfdaemonServer dfdaemon;

    @BeforeAll
    static void start() throws IOException {
        registry = FakeRegistry.http();
        dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home), direct -> p2p);
    }

    @AfterAll
    static void stop() {
        dfdaemon.close();
        registry.close();
    }

    @BeforeEach
    void reset() {
        p2p.requests.clear();
        p2p.failWith(new IOException("supernode down"));
        registry.requireAuth(false).redirectBlobs(false);
    }

    int port() {
        return dfdaemon.port();
    }

    String blobPath(byte[] b) {
        return "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(b);
    }

    @Test
    void pingAndApiVersionCheck() throws IOException {
        assertThat(RawHttp.exchange(port(), "GET", "/_ping").status()).isEqualTo(200);
        RawHttp.Response v2 = RawHttp.exchange(port(), "GET", "/v2/");
        assertThat(v2.status()).isEqualTo(200);
        assertThat(v2.header("Docker-Distribution-Api-Version")).isEqualTo("registry/2.0");
        assertThat(p2p.requests).isEmpty();
    }

    @Test
    void manifestByTagAndByDigestAreProxiedWithAcceptAndAuthorization() throws IOException {
        String accept = FakeRegistry.MANIFEST_TYPE + ", application/vnd.oci.image.index.v1+json";
        RawHttp.Response byTag = RawHttp.exchange(port(), "GET", "/v2/" + FakeRegistry.NAME + "/manifests/v1",
                "Accept: " + accept, "Authorization: Bearer abc");
        assertThat(byTag.status()).isEqualTo(200);
        assertThat(byTag.body()).isEqualTo(registry.manifest);
        assertThat(byTag.header("Content-Type")).isEqualTo(FakeRegistry.MANIFEST_TYPE);
        assertThat(byTag.header("Docker-Content-Digest")).isEqualTo(registry.manifestDigest);
        assertThat(byTag.header("X-Seen-Accept")).isEqualTo(accept);

        RawHttp.Response byDigest = RawHttp.exchange(port(), "GET",
                "/v2/" + FakeRegistry.NAME + "/manifests/" + registry.manifestDigest);
        assertThat(byDigest.status()).isEqualTo(200);
        assertThat(byDigest.body()).isEqualTo(registry.manifest);

        FakeRegistry.Seen seen = registry.last("/v2/" + FakeRegistry.NAME + "/manifests/v1");
        assertThat(seen.header("Authorization")).isEqualTo("Bearer abc");
        assertThat(seen.header("Accept")).isEqualTo(accept);
        assertThat(p2p.requests).isEmpty();
    }

    @Test
    void headHasHeadersButNoBody() throws IOException {
        try (RawHttp c = new RawHttp(port())) {
            RawHttp.Response head = c.send("HEAD", "/v2/" + FakeRegistry.NAME + "/manifests/v1").response(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(registry.manifest.length));
            assertThat(head.header("Docker-Content-Digest")).isEqualTo(registry.manifestDigest);
            // the same connection carries on: a body after the HEAD answer would be read as this status line
            RawHttp.Response get = c.send("GET", "/v2/" + FakeRegistry.NAME + "/tags/list").response(false);
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.text()).contains("\"tags\":[\"v1\"]");
            // dfdaemon's own answers to HEAD carry no body either
            assertThat(c.send("HEAD", "/_ping").response(true).header("Content-Length")).isEqualTo("3");
            assertThat(c.send("GET", "/_ping").response(false).text()).isEqualTo("OK\n");
        }
        RawHttp.Response blobHead = RawHttp.exchange(port(), "HEAD", blobPath(registry.layer1));
        assertThat(blobHead.status()).isEqualTo(200);
        assertThat(blobHead.header("Content-Length")).isEqualTo(String.valueOf(registry.layer1.length));
        assertThat(p2p.requests).as("HEAD of a blob is not a download").isEmpty();
    }

    @Test
    void unauthorizedIsPassedBackAndTheTokenFlowWorks() throws IOException {
        registry.requireAuth(true);
        RawHttp.Response challenge = RawHttp.exchange(port(), "GET", "/v2/");
        assertThat(challenge.status()).isEqualTo(401);
        assertThat(challenge.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + registry.uri() + "/token\",service=\"fake\"");

        RawHttp.Response manifest = RawHttp.exchange(port(), "GET", "/v2/" + FakeRegistry.NAME + "/manifests/v1",
                "Authorization: Bearer " + FakeRegistry.TOKEN);
        assertThat(manifest.status()).isEqualTo(200);

        RawHttp.Response blob = RawHttp.exchange(port(), "GET", blobPath(registry.layer1),
                "Authorization: Bearer " + FakeRegistry.TOKEN);
        assertThat(blob.status()).isEqualTo(200);
        assertThat(blob.body()).isEqualTo(registry.layer1);
        assertThat(p2p.requests).singleElement()
                .satisfies(r -> assertThat(r.headers()).containsEntry("authorization", "Bearer " + FakeRegistry.TOKEN));

        RawHttp.Response unauthorizedBlob = RawHttp.exchange(port(), "GET", blobPath(registry.layer2));
        assertThat(unauthorizedBlob.status()).isEqualTo(401);
        assertThat(unauthorizedBlob.header("WWW-Authenticate")).startsWith("Bearer realm=");
    }

    @Test
    void largeTokensPassThrough() throws IOException {
        String token = "t".repeat(20_000);
        RawHttp.Response r = RawHttp.exchange(port(), "GET", "/v2/" + FakeRegistry.NAME + "/manifests/v1",
                "Authorization: Bearer " + token);
        assertThat(r.status()).isEqualTo(200);
        assertThat(registry.last("/v2/" + FakeRegistry.NAME + "/manifests/v1").header("Authorization")).hasSize(20_007);
    }

    @Test
    void hopByHopHeadersAreStrippedBothWaysAndViaAdded() throws IOException {
        RawHttp.Response r = RawHttp.exchange(port(), "GET", "/v2/" + FakeRegistry.NAME + "/tags/list",
                "Connection: keep-alive, X-Client-Private", "X-Client-Private: secret-hop",
                "Proxy-Authorization: Basic cHJveHk6cHJveHk=", "Keep-Alive: timeout=9", "TE: trailers",
                "Upgrade: h2c", "X-End-To-End: kept", "Via: 1.1 upstream-lb");
        assertThat(r.status()).isEqualTo(200);
        FakeRegistry.Seen seen = registry.last("/v2/" + FakeRegistry.NAME + "/tags/list");
        assertThat(seen.headers()).doesNotContainKeys("x-client-private", "proxy-authorization", "keep-alive", "te", "upgrade");
        assertThat(seen.header("X-End-To-End")).isEqualTo("kept");
        assertThat(seen.header("Via")).contains("1.1 upstream-lb").contains("1.1 dfdaemon");
        assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + registry.port());

        assertThat(r.headers()).doesNotContainKeys("x-registry-private", "keep-alive");
        assertThat(r.header("Via")).isEqualTo("1.1 dfdaemon");
    }

    @Test
    void blobGoesThroughTheFetcherWithItsDigestAsIdentifier() throws IOException {
        p2p.serve(registry.layer2, true);
        int registryBlobGets = registry.seen(blobPath(registry.layer2)).size();
        RawHttp.Response r = RawHttp.exchange(port(), "GET", blobPath(registry.layer2), "Authorization: Bearer xyz",
                "Range: bytes=10-", "Accept-Encoding: gzip");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).isTrue();
        assertThat(r.body()).isEqualTo(registry.layer2);
        assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(registry.layer2.length));
        assertThat(r.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(FakeRegistry.digest(registry.layer2));
        assertThat(p2p.requests).singleElement().satisfies(req -> {
            assertThat(req.digest()).contains(FakeRegistry.digest(registry.layer2));
            assertThat(req.url()).hasToString(registry.uri() + blobPath(registry.layer2));
            assertThat(req.headers()).containsEntry("authorization", "Bearer xyz")
                    .doesNotContainKeys("range", "accept-encoding", "host", "connection");
            assertThat(req.toString()).doesNotContain("xyz");
        });
        assertThat(registry.seen(blobPath(registry.layer2))).as("no registry traffic for a P2P blob").hasSize(registryBlobGets);
        assertThat(dfdaemon.metrics().blobs("p2p")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void blobOfUnknownLengthIsChunked() throws IOException {
        p2p.serve(registry.layer1, false);
        RawHttp.Response r = RawHttp.exchange(port(), "GET", blobPath(registry.layer1));
        assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(r.complete()).isTrue();
        assertThat(r.body()).isEqualTo(registry.layer1);
    }

    @Test
    void blobBytesReachTheClientBeforeTheFetcherHasTheRest() throws Exception {
        PipedOutputStream producer = new PipedOutputStream();
        PipedInputStream body = new PipedInputStream(producer, 1 << 20);
        byte[] blob = registry.layer2;
        p2p.answer(req -> CompletableFuture.completedFuture(BlobStream.of(blob.length, body)));
        try (RawHttp c = new RawHttp(port())) {
            c.send("GET", blobPath(blob));
            producer.write(blob, 0, 100_000);
            producer.flush();
            // headers and the first 100 kB arrive while the fetcher still holds the rest back
            byte[] first = new byte[90_000];
            String status = readStatus(c);
            assertThat(status).contains("200");
            skipHeaders(c);
            c.input().readNBytes(first, 0, first.length);
            assertThat(first).isEqualTo(Arrays.copyOf(blob, first.length));
            producer.write(blob, 100_000, blob.length - 100_000);
            producer.close();
            byte[] rest = c.input().readNBytes(blob.length - first.length);
            assertThat(rest).isEqualTo(Arrays.copyOfRange(blob, first.length, blob.length));
        }
    }

    @Test
    void digestMismatchAbortsBeforeTheLastByte() throws IOException {
        byte[] wrong = registry.layer2.clone();
        wrong[wrong.length / 2] ^= 1;
        p2p.serve(wrong, true);
        double before = dfdaemon.metrics().streamErrors("digest_mismatch");
        try (RawHttp c = new RawHttp(port())) {
            RawHttp.Response r = c.send("GET", blobPath(registry.layer2)).response(false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.complete()).as("the body must be cut short").isFalse();
            assertThat(r.body().length).isLessThan(wrong.length);
        }
        assertThat(dfdaemon.metrics().streamErrors("digest_mismatch")).isEqualTo(before + 1);
    }

    @Test
    void aStreamFailingMidwayAbortsTheResponse() throws IOException {
        byte[] blob = registry.layer2;
        p2p.answer(req -> CompletableFuture.completedFuture(BlobStream.of(blob.length,
                new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(blob, 0, 200_000), new java.io.InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new IOException("peer vanished");
                    }
                }))));
        double before = dfdaemon.metrics().streamErrors("source_error");
        RawHttp.Response r = RawHttp.exchange(port(), "GET", blobPath(blob));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).isFalse();
        assertThat(r.body()).isEqualTo(Arrays.copyOf(blob, r.body().length));
        assertThat(dfdaemon.metrics().streamErrors("source_error")).isEqualTo(before + 1);
    }

    @Test
    void failedP2pFallsBackToTheRegistryFollowingRedirectsWithoutLeakingAuthorization() throws IOException {
        registry.redirectBlobs(true);
        double fallbacks = dfdaemon.metrics().fallbacks();
        RawHttp.Response r = RawHttp.exchange(port(), "GET", blobPath(registry.layer2), "Authorization: Bearer xyz");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.complete()).isTrue();
        assertThat(r.body()).isEqualTo(registry.layer2);
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(FakeRegistry.digest(registry.layer2));
        assertThat(p2p.requests).hasSize(1);
        assertThat(registry.last(blobPath(registry.layer2)).header("Authorization")).isEqualTo("Bearer xyz");
        assertThat(registry.last("/storage/" + FakeRegistry.digest(registry.layer2)).header("Authorization"))
                .as("credentials for the registry never go to the storage it redirects to").isNull();
        assertThat(dfdaemon.metrics().fallbacks()).isEqualTo(fallbacks + 1);
        assertThat(dfdaemon.metrics().blobs("direct")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void corruptRegistryBlobIsAbortedOnTheDirectPathToo() throws IOException {
        byte[] wrong = registry.layer1.clone();
        wrong[0] ^= 1;
        String digest = FakeRegistry.digest(registry.layer1);
        registry.corrupt(digest, wrong);
        try {
            RawHttp.Response r = RawHttp.exchange(port(), "GET", blobPath(registry.layer1));
            assertThat(r.complete()).isFalse();
        } finally {
            registry.corrupt(digest, registry.layer1);
        }
    }

    @Test
    void unknownBlobIs404FromTheRegistry() throws IOException {
        String missing = "/v2/" + FakeRegistry.NAME + "/blobs/sha256:" + "0".repeat(64);
        assertThat(RawHttp.exchange(port(), "GET", missing).status()).isEqualTo(404);
    }

    @Test
    void keepAliveConnectionServesManyRequestsInOrder() throws IOException {
        p2p.serve(registry.layer1, true);
        try (RawHttp c = new RawHttp(port())) {
            for (int i = 0; i < 3; i++) {
                assertThat(c.send("GET", "/v2/").response(false).status()).isEqualTo(200);
                RawHttp.Response blob = c.send("GET", blobPath(registry.layer1)).response(false);
                assertThat(blob.body()).isEqualTo(registry.layer1);
                p2p.serve(registry.layer1, true);
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        p2p.serve(registry.layer1, true);
        try (RawHttp c = new RawHttp(port())) {
            String blob = blobPath(registry.layer1);
            c.output().write(("GET " + blob + " HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v2/" + FakeRegistry.NAME + "/manifests/v1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            c.output().flush();
            assertThat(c.response(false).body()).isEqualTo(registry.layer1);
            assertThat(c.response(false).body()).isEqualTo(registry.manifest);
            assertThat(c.response(false).text()).isEqualTo("OK\n");
        }
    }

    @Test
    void metricsCountRoutes() throws IOException {
        RawHttp.exchange(port(), "GET", "/v2/");
        RawHttp.Response m = RawHttp.exchange(port(), "GET", "/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.text()).contains("dfdaemon_requests_total{route=\"registry\"}")
                .contains("dfdaemon_blob_bytes_total");
        await().atMost(Duration.ofSeconds(5)).until(() -> dfdaemon.metrics().requests("metrics") >= 1);
    }

    private static String readStatus(RawHttp c) throws IOException {
        return line(c);
    }

    private static void skipHeaders(RawHttp c) throws IOException {
        while (!line(c).isEmpty()) {
            // headers
        }
    }

    private static String line(RawHttp c) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int ch; (ch = c.input().read()) >= 0 && ch != '\n'; ) {
            if (ch != '\r') {
                sb.append((char) ch);
            }
        }
        return sb.toString();
    }
}
