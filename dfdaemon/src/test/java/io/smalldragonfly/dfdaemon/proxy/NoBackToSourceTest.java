package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --notbs}: when P2P fails the blob fails; the registry is never asked for it. */
class NoBackToSourceTest {

    @TempDir
    Path home;

    @Test
    void failedP2pIsAnErrorAndTheRegistryIsNotAsked() throws IOException {
        SwitchableFetcher p2p = new SwitchableFetcher();
        try (FakeRegistry registry = FakeRegistry.http();
             DfdaemonServer dfdaemon = DfdaemonServer.start(
                     DfdaemonConfig.forRegistry(registry.uri(), home).withNoBackToSource(true), direct -> p2p)) {
            String blob = "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer1);
            RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET", blob);
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.text()).contains("supernode down");
            assertThat(p2p.requests).hasSize(1);
            assertThat(registry.seen(blob)).isEmpty();
            assertThat(dfdaemon.metrics().fallbacks()).isZero();

            // everything that is not a blob still goes to the registry
            assertThat(RawHttp.exchange(dfdaemon.port(), "GET", "/v2/").status()).isEqualTo(200);

            // and when P2P works, so does the blob
            p2p.serve(registry.layer1, true);
            assertThat(RawHttp.exchange(dfdaemon.port(), "GET", blob).body()).isEqualTo(registry.layer1);
            assertThat(registry.seen(blob)).isEmpty();
        }
    }
}
