package io.smalldragonfly.common.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.smalldragonfly.common.source.SourceHeaders.Header;
import io.smalldragonfly.common.testing.LyingOrigin;
import io.smalldragonfly.common.testing.TestOrigin;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one source client against in-test origins: well-behaved, slow, lying and TLS ones. */
class SourceHttpClientTest {

    static final byte[] CONTENT = TestOrigin.content(300_000, 7);

    TestOrigin origin;
    SourceHttpClient client = SourceHttpClient.builder(Duration.ofSeconds(5)).timeoutOption("--source-timeout")
            .userAgent("test").build();

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        origin = TestOrigin.start();
        origin.serve("/f", CONTENT).etag("\"v1\"");
    }

    @AfterEach
    void stop() {
        origin.close();
    }

    static URI uri(String url) {
        return URI.create(url);
    }

    static byte[] body(SourceResponse r) throws IOException {
        try (r; InputStream in = r.body()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aWholeFileAndARange() throws IOException {
        SourceResponse whole = client.send(SourceRequest.get(uri(origin.url("/f")), List.of()));
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.contentLength()).isEqualTo(CONTENT.length);
        assertThat(whole.header("ETag")).isEqualTo("\"v1\"");
        assertThat(body(whole)).isEqualTo(CONTENT);

        SourceResponse part = client.send(SourceRequest.get(uri(origin.url("/f")), List.of()).range(1000, 1999));
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.contentRange()).isEqualTo(new ContentRange(1000, 1999, CONTENT.length));
        assertThat(body(part)).isEqualTo(Arrays.copyOfRange(CONTENT, 1000, 2000));
        assertThat(origin.requests()).last().satisfies(q -> {
            assertThat(q.header("range")).isEqualTo("bytes=1000-1999");
            assertThat(q.header("accept-encoding")).isEqualTo("identity");
            assertThat(q.header("user-agent")).isEqualTo("test");
        });
    }

    @Test
    void aHeadHasTheLengthAndNoBody() throws IOException {
        SourceResponse head = client.send(SourceRequest.head(uri(origin.url("/f")), List.of()));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.contentLength()).isEqualTo(CONTENT.length);
        assertThat(body(head)).isEmpty();
    }

    @Test
    void aConditionalRequestGets304() throws IOException {
        SourceResponse r = client.send(SourceRequest.get(uri(origin.url("/f")), List.of()).ifChanged("\"v1\"", null));
        assertThat(r.status()).isEqualTo(304);
        assertThat(body(r)).isEmpty();
        assertThat(origin.requests()).last().satisfies(q -> assertThat(q.header("if-none-match")).isEqualTo("\"v1\""));
    }

    @Test
    void aChunkedBodyHasNoLengthAndIsDecoded() throws IOException {
        origin.serve("/c", CONTENT).chunked();
        SourceResponse r = client.send(SourceRequest.get(uri(origin.url("/c")), List.of()));
        assertThat(r.contentLength()).isEqualTo(-1);
        assertThat(body(r)).isEqualTo(CONTENT);
    }

    @Test
    void aBodyWithoutLengthEndsWithTheConnection() throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            LyingOrigin.head(out, "200 OK");
            out.write(c);
        })) {
            SourceResponse r = client.send(SourceRequest.get(uri(o.url("/x")), List.of()));
            assertThat(r.contentLength()).isEqualTo(-1);
            assertThat(body(r)).isEqualTo(CONTENT);
        }
    }

    @Test
    void redirectsAreFollowedUpToTheLimit() throws IOException {
        for (int i = 0; i < SourceHttpClient.MAX_REDIRECTS; i++) {
            origin.redirect("/r" + i, i == SourceHttpClient.MAX_REDIRECTS - 1 ? "/f" : "/r" + (i + 1));
        }
        SourceResponse r = client.send(SourceRequest.get(uri(origin.url("/r0")), List.of()));
        assertThat(r.uri()).isEqualTo(uri(origin.url("/f")));
        assertThat(body(r)).isEqualTo(CONTENT);

        origin.redirect("/loop", "/loop");
        assertThatThrownBy(() -> client.send(SourceRequest.get(uri(origin.url("/loop")), List.of())))
                .isInstanceOf(SourceAnswerException.class).hasMessageContaining("more than 10 redirects");
        assertThat(origin.count("GET", "/loop")).isEqualTo(SourceHttpClient.MAX_REDIRECTS + 1);
    }

    @Test
    void everyHopPassesTheUrlCheck() {
        origin.redirect("/a", "/denied");
        origin.serve("/denied", CONTENT);
        SourceHttpClient checked = SourceHttpClient.builder(Duration.ofSeconds(5)).urlCheck(u -> {
            if (u.getPath().equals("/denied")) {
                throw new IllegalStateException("on the deny list: " + u);
            }
        }).build();
        assertThatThrownBy(() -> checked.send(SourceRequest.get(uri(origin.url("/a")), List.of())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("deny list");
        assertThat(origin.count("GET", "/a")).isEqualTo(1);
        assertThat(origin.count("GET", "/denied")).as("never asked").isZero();
    }

    @Test
    void authorizationStaysWithTheFirstEndpoint() throws IOException {
        try (TestOrigin storage = TestOrigin.start()) {
            storage.serve("/blob", CONTENT);
            origin.redirect("/same", "/f");
            origin.redirect("/away", storage.url("/blob"));
            List<Header> auth = List.of(new Header("Authorization", "Bearer t"), new Header("X-Trace", "1"));
            body(client.send(SourceRequest.get(uri(origin.url("/same")), auth)));
            assertThat(origin.requests()).last().satisfies(q -> assertThat(q.header("authorization")).isEqualTo("Bearer t"));
            body(client.send(SourceRequest.get(uri(origin.url("/away")), auth)));
            assertThat(storage.requests()).singleElement().satisfies(q -> {
                assertThat(q.header("authorization")).isNull();
                assertThat(q.header("x-trace")).isEqualTo("1");
            });
        }
    }

    @Test
    void theHeaderFilterDropsHopByHopAndWhatTheClientSetsItself() throws IOException {
        List<Header> in = List.of(new Header("Connection", "keep-alive, X-Secret"), new Header("X-Secret", "s"),
                new Header("Keep-Alive", "300"), new Header("Proxy-Authorization", "Basic x"),
                new Header("Range", "bytes=5-"), new Header("If-None-Match", "\"v1\""),
                new Header("If-Modified-Since", "Mon, 01 Jan 2024 00:00:00 GMT"), new Header("Accept-Encoding", "gzip"),
                new Header("Host", "evil"), new Header("TE", "trailers"), new Header("Authorization", "Bearer t"),
                new Header("Cookie", "a=b"), new Header("X-Custom", "kept"));
        assertThat(SourceHeaders.forwardable(in)).extracting(Header::name)
                .containsExactly("Authorization", "Cookie", "X-Custom");

        SourceResponse r = client.send(SourceRequest.get(uri(origin.url("/f")), in));
        assertThat(r.status()).as("the client's Range and If-None-Match are not sent").isEqualTo(200);
        assertThat(body(r)).isEqualTo(CONTENT);
        assertThat(origin.requests()).last().satisfies(q -> {
            assertThat(q.header("x-secret")).isNull();
            assertThat(q.header("accept-encoding")).isEqualTo("identity");
            assertThat(q.header("host")).isEqualTo("127.0.0.1:" + origin.port());
            assertThat(q.header("x-custom")).isEqualTo("kept");
        });
    }

    @Test
    void aHeaderThatWouldSplitTheRequestIsRefused() {
        assertThatThrownBy(() -> new Header("X-A", "1\r\nX-Injected: 2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SourceHeaders.parse(List.of("no colon"))).hasMessageContaining("expected \"Name: value\"");
        assertThatThrownBy(() -> SourceHeaders.parse(List.of("Bad Name: v"))).hasMessageContaining("token name");
    }

    @Test
    void aSourceThatStopsMidBodyIsAStall() throws IOException {
        origin.serve("/stuck", CONTENT).stallAfter(1000);
        body(client.send(SourceRequest.get(uri(origin.url("/f")), List.of()))); // the origin's first answer may be slow
        SourceHttpClient quick = SourceHttpClient.builder(Duration.ofMillis(500)).timeoutOption("--source-timeout").build();
        SourceResponse r = quick.send(SourceRequest.get(uri(origin.url("/stuck")), List.of()));
        assertThatThrownBy(() -> body(r)).isInstanceOf(SourceStalledException.class)
                .hasMessageContaining("stalled: sent nothing for 0.5 s (--source-timeout)");
    }

    @Test
    void aSourceThatNeverAnswersIsAStall() throws IOException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        try (LyingOrigin silent = LyingOrigin.start(CONTENT, (range, c, out) -> {
            try {
                done.await(5, java.util.concurrent.TimeUnit.SECONDS); // silent until the test has its answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            SourceHttpClient quick = SourceHttpClient.builder(Duration.ofMillis(300)).build();
            assertThatThrownBy(() -> quick.send(SourceRequest.get(uri(silent.url("/x")), List.of())))
                    .isInstanceOf(SourceStalledException.class).hasMessageContaining("sent nothing for 0.3 s");
        } finally {
            done.countDown();
        }
    }

    /** Raw answers no client may take, each with what is wrong. */
    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n|not HTTP/1.x",
        "hello there\r\n\r\n|not HTTP/1.x",
        "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n|expected HTTP/1.x",
        "HTTP/1.1 999 What\r\nContent-Length: 0\r\n\r\n|status 999",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n|not HTTP/1.x",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n|not HTTP/1.x",
        "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n|not HTTP/1.x",
        "|without answering",
        "HTTP/1.1 200 OK\r\nContent-|in its answer's head",
    })
    void aBrokenHeadIsRefused(String spec) throws IOException {
        String[] p = spec.split("\\|", 2);
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> out.write(p[0].getBytes(StandardCharsets.ISO_8859_1)))) {
            assertThatThrownBy(() -> client.send(SourceRequest.get(uri(o.url("/x")), List.of())))
                    .isInstanceOf(SourceAnswerException.class).hasMessageContaining(p[1]);
        }
    }

    @Test
    void aHeadOfEndlessHeadersIsRefused() throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 10_000; i++) {
                out.write(("X-" + i + ": " + "v".repeat(100) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
        })) {
            assertThatThrownBy(() -> client.send(SourceRequest.get(uri(o.url("/x")), List.of())))
                    .isInstanceOf(SourceAnswerException.class).hasMessageContaining("not HTTP/1.x");
        }
    }

    @Test
    void aContentLengthLongerThanTheBodyIsAnError() throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            LyingOrigin.head(out, "200 OK", "Content-Length: " + c.length);
            out.write(c, 0, c.length / 2);
        })) {
            SourceResponse r = client.send(SourceRequest.get(uri(o.url("/x")), List.of()));
            assertThatThrownBy(() -> body(r)).isInstanceOf(EOFException.class)
                    .hasMessageContaining("bytes before the end of its body");
        }
    }

    @Test
    void aContentRangeForOtherBytesIsRefused() throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            LyingOrigin.head(out, "206 Partial Content", "Content-Length: 100", "Content-Range: bytes 0-99/" + c.length);
            out.write(c, 0, 100);
        })) {
            assertThatThrownBy(() -> client.send(SourceRequest.get(uri(o.url("/x")), List.of()).range(500, 599)))
                    .isInstanceOf(SourceAnswerException.class).hasMessageContaining("Content-Range 'bytes 0-99/");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 50\r\nContent-Range: bytes 500-599/300000", "Content-Range: bytes 500-599/550",
        "Content-Range: bytes 599-500/300000", "Content-Range: items 500-599/300000", "Content-Length: 100"})
    void aContentRangeThatContradictsItselfOrTheLengthIsRefused(String headers) throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            out.write(("HTTP/1.1 206 Partial Content\r\n" + headers + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(c, 500, 100);
        })) {
            assertThatThrownBy(() -> client.send(SourceRequest.get(uri(o.url("/x")), List.of()).range(500, 599)))
                    .isInstanceOf(SourceAnswerException.class).hasMessageContaining("Content-");
        }
    }

    @Test
    void aBadChunkSizeIsAnError() throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            LyingOrigin.head(out, "200 OK", "Transfer-Encoding: chunked");
            out.write("5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        })) {
            // the bad size may come with the head or after it
            assertThatThrownBy(() -> body(client.send(SourceRequest.get(uri(o.url("/x")), List.of()))))
                    .isInstanceOf(SourceAnswerException.class).hasMessageContaining("broken body");
        }
    }

    @Test
    void aChunkedBodyCutShortIsAnError() throws IOException {
        try (LyingOrigin o = LyingOrigin.start(CONTENT, (range, c, out) -> {
            LyingOrigin.head(out, "200 OK", "Transfer-Encoding: chunked");
            out.write("5\r\nhello\r\n10\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
        })) {
            SourceResponse r = client.send(SourceRequest.get(uri(o.url("/x")), List.of()));
            assertThatThrownBy(() -> body(r)).isInstanceOf(EOFException.class).hasMessageContaining("chunked");
        }
    }

    // ---- https with a private CA

    HttpsServer https;

    @AfterEach
    void stopHttps() {
        if (https != null) {
            https.stop(0);
        }
    }

    /** An https origin with a certificate a fresh CA issued for {@code san} (and 127.0.0.1 for localhost); the CA's PEM. */
    Path httpsOrigin(String san) throws Exception {
        X509Bundle ca = new CertificateBuilder().subject("CN=source test CA").setIsCertificateAuthority(true)
                .ecp256().buildSelfSigned();
        CertificateBuilder leaf = new CertificateBuilder().subject("CN=" + san).addSanDnsName(san).ecp256();
        if (san.equals("localhost")) {
            leaf.addSanIpAddress("127.0.0.1");
        }
        X509Bundle cert = leaf.buildIssuedBy(ca);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(cert.toKeyManagerFactory().getKeyManagers(), null, null);
        https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        https.createContext("/f", x -> {
            x.sendResponseHeaders(200, CONTENT.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(CONTENT);
            }
        });
        https.start();
        Path pem = dir.resolve("ca.pem");
        Files.writeString(pem, ca.getCertificatePEM());
        return pem;
    }

    URI httpsUri() {
        return uri("https://127.0.0.1:" + https.getAddress().getPort() + "/f");
    }

    @Test
    void httpsWithAPrivateCa() throws Exception {
        Path ca = httpsOrigin("localhost");
        SourceHttpClient trusting = SourceHttpClient.builder(Duration.ofSeconds(5))
                .tls(SourceTls.withExtraCas(List.of(ca), "--ca")).build();
        assertThat(body(trusting.send(SourceRequest.get(httpsUri(), List.of())))).isEqualTo(CONTENT);
        assertThatThrownBy(() -> client.send(SourceRequest.get(httpsUri(), List.of())))
                .isInstanceOf(IOException.class).hasMessageContaining("TLS with 127.0.0.1");
    }

    @Test
    void httpsForAnotherHostIsRefusedUnlessInsecure() throws Exception {
        Path ca = httpsOrigin("other.test");
        SourceHttpClient trusting = SourceHttpClient.builder(Duration.ofSeconds(5))
                .tls(SourceTls.withExtraCas(List.of(ca), "--ca")).build();
        assertThatThrownBy(() -> trusting.send(SourceRequest.get(httpsUri(), List.of())))
                .isInstanceOf(IOException.class).hasMessageContaining("TLS with");
        SourceHttpClient insecure = SourceHttpClient.builder(Duration.ofSeconds(5)).tls(SourceTls.insecure()).build();
        assertThat(body(insecure.send(SourceRequest.get(httpsUri(), List.of())))).isEqualTo(CONTENT);
    }

    @Test
    void onlyHttpAndHttpsUrlsAreFetched() {
        assertThatThrownBy(() -> client.send(SourceRequest.get(uri("file:///etc/passwd"), List.of())))
                .isInstanceOf(SourceAnswerException.class).hasMessageContaining("expected an http or https URL");
    }
}
