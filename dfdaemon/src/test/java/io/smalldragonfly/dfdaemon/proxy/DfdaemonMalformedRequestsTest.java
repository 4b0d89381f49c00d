package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.MalformedHttp;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dfdaemon (a registry mirror in front of {@link FakeRegistry}) over real sockets: 10,000 generated
 * malformed requests (the generic ones of {@link MalformedHttp}, bad blob digests, proxy-style
 * targets), no 5xx and no connection closed without an answer, slow clients do not starve others,
 * fds flat; and it is never an open relay (absolute URIs and CONNECT to hosts it was not told
 * about are refused).
 */
class DfdaemonMalformedRequestsTest {

    static final int REQUESTS = 10_000;

    @TempDir
    Path home;

    @Test
    void tenThousandMalformedRequestsGetNo5xxAndNoRelay() throws Exception {
        SwitchableFetcher p2p = new SwitchableFetcher();
        try (FakeRegistry registry = FakeRegistry.http()) {
            p2p.failWith(new IOException("supernode down")); // blobs back to the registry, which has the real bytes
            DfdaemonServer dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home), direct -> p2p);
            try {
                String blob = "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer1);
                Supplier<MalformedHttp.Raw> generic = MalformedHttp.generic(new Random(21), List.of("/v2/",
                        "/v2/" + FakeRegistry.NAME + "/manifests/latest", blob, "/_ping", "/metrics"));
                Random rnd = new Random(22);
                List<MalformedHttp.Raw> requests = new ArrayList<>();
                while (requests.size() < REQUESTS) {
                    requests.add(generic.get());
                    requests.add(switch (rnd.nextInt(3)) {
                        case 0 -> MalformedHttp.get("digest", "/v2/" + FakeRegistry.NAME + "/blobs/" + MalformedHttp.pick(rnd,
                                "sha256:", "sha256:zz", "md5:abc", "sha256:" + "0".repeat(64), "sha256:" + "a".repeat(65),
                                "sha256%3a" + "0".repeat(64), "..%2f..%2f_ping"));
                        case 1 -> MalformedHttp.Raw.of("relay", "GET http://" + MalformedHttp.pick(rnd, "evil.example",
                                "127.0.0.1:1", "[::1]:22", "169.254.169.254", "%ZZ", "") + "/x HTTP/1.1\r\nHost: evil.example\r\n\r\n");
                        default -> MalformedHttp.Raw.of("connect", "CONNECT " + MalformedHttp.pick(rnd, "evil.example:443",
                                "127.0.0.1:22", "169.254.169.254:80", "no-port", ":443", "%ZZ:1") + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    });
                }
                MalformedHttp.send(dfdaemon.port(), MalformedHttp.get("warm-up", "/_ping"));
                MalformedHttp.Result result = MalformedHttp.runWithFlatFds(dfdaemon.port(), requests, 4, 10);
                assertThat(result.failures()).as("statuses %s", result.statuses()).isEmpty();
                assertThat(result.answered()).isGreaterThanOrEqualTo(REQUESTS);
                assertThat(result.statuses().keySet()).contains(200, 400, 403);

                for (String relay : List.of("GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
                        "GET http://127.0.0.1:" + dfdaemon.port() + "/_ping HTTP/1.1\r\nHost: x\r\n\r\n",
                        "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
                        // the configured registry is the one host a tunnel may go to; not another port of it
                        "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n")) {
                    assertThat(MalformedHttp.send(dfdaemon.port(), MalformedHttp.Raw.of("relay", relay))[0])
                            .as(relay).isBetween(400, 499);
                }
                MalformedHttp.slowloris(dfdaemon.port(), 200, () -> assertThat(MalformedHttp.send(dfdaemon.port(),
                        MalformedHttp.get("during slowloris", "/_ping"))[0]).isEqualTo(200));
            } finally {
                dfdaemon.close();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
