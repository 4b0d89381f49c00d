package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.config.HostPattern;
import io.smalldragonfly.dfdaemon.config.ProxyRule;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dfdaemon as {@code HTTP_PROXY}: rules, the allow-list, and CONNECT tunnels. */
class ForwardProxyTest {

    @TempDir
    static Path home;

    static FakeRegistry origin;
    static SwitchableFetcher p2p = new SwitchableFetcher();
    static DfdaemonServer dfdaemon;

    @BeforeAll
    static void start() throws IOException {
        origin = FakeRegistry.http();
        DfdaemonConfig config = DfdaemonConfig.forRegistry(URI.create("http://registry.invalid"), home)
                .withRules(List.of(ProxyRule.p2p("/blobs/sha256:")))
                .withAllowedHosts(List.of(HostPattern.parse("127.0.0.1:" + origin.port())));
        dfdaemon = DfdaemonServer.start(config, direct -> p2p);
    }

    @AfterAll
    static void stop() {
        dfdaemon.close();
        origin.close();
    }

    @org.junit.jupiter.api.BeforeEach
    void reset() {
        p2p.requests.clear();
    }

    String url(String path) {
        return "http://127.0.0.1:" + origin.port() + path;
    }

    @Test
    void absoluteUrisToAllowedHostsArePassedThroughInOriginForm() throws IOException {
        RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET", url("/v2/" + FakeRegistry.NAME + "/tags/list?n=5"),
                "Host: 127.0.0.1:" + origin.port(), "Proxy-Authorization: Basic cHJveHk6cHc=", "Proxy-Connection: keep-alive");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).contains("v1");
        FakeRegistry.Seen seen = origin.last("/v2/" + FakeRegistry.NAME + "/tags/list");
        assertThat(seen.query()).isEqualTo("n=5");
        assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + origin.port());
        assertThat(seen.headers()).doesNotContainKeys("proxy-authorization", "proxy-connection");
        assertThat(p2p.requests).isEmpty();
    }

    @Test
    void getsMatchingARuleGoThroughTheFetcherKeyedByUrl() throws IOException {
        p2p.serve(origin.layer1, true);
        String blobUrl = url("/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(origin.layer1));
        int before = origin.seen("/v2/" + FakeRegistry.NAME + "/blobs/").size();
        RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET", blobUrl);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(origin.layer1);
        assertThat(p2p.requests).anySatisfy(req -> {
            assertThat(req.url()).hasToString(blobUrl);
            assertThat(req.digest()).isEmpty();
        });
        assertThat(origin.seen("/v2/" + FakeRegistry.NAME + "/blobs/")).hasSize(before);
    }

    @Test
    void hostsOffTheAllowListAreRefused() throws IOException {
        RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET", "http://127.0.0.2:" + origin.port() + "/v2/");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.text()).contains("--allow-host");
        assertThat(RawHttp.exchange(dfdaemon.port(), "GET", "http://127.0.0.1:1/v2/").status()).isEqualTo(403);
    }

    @Test
    void connectTunnelsToAnAllowedHost() throws IOException {
        try (RawHttp c = new RawHttp(dfdaemon.port())) {
            String authority = "127.0.0.1:" + origin.port();
            RawHttp.Response established = c.send("CONNECT", authority, "Host: " + authority).response(false);
            assertThat(established.status()).isEqualTo(200);
            assertThat(established.headers()).doesNotContainKeys("content-length", "transfer-encoding");
            // the tunnel carries raw bytes: a whole HTTP exchange with the origin
            c.output().write(("GET /v2/ HTTP/1.1\r\nHost: " + authority + "\r\nX-Through: tunnel\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response inner = c.response(false);
            assertThat(inner.status()).isEqualTo(200);
            assertThat(inner.text()).isEqualTo("{}");
            assertThat(inner.headers()).as("the tunnel is not HTTP-aware").doesNotContainKey("via");
            assertThat(origin.last("/v2/").header("X-Through")).isEqualTo("tunnel");
        }
    }

    @Test
    void connectToOtherHostsIsRefused() throws IOException {
        RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "CONNECT", "127.0.0.1:22", "Host: 127.0.0.1:22");
        assertThat(r.status()).isEqualTo(403);
    }

    @Test
    void connectToAnAllowedButDeadPortIsBadGateway() throws IOException {
        // registry.invalid:80 is allowed (the registry) but does not resolve
        RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "CONNECT", "registry.invalid:80", "Host: registry.invalid:80");
        assertThat(r.status()).isEqualTo(502);
    }
}
