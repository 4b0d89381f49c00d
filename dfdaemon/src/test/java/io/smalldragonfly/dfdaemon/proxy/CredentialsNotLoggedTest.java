package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.config.HostPattern;
import io.smalldragonfly.dfdaemon.config.ProxyRule;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With debug logging on, a pull with Bearer and Basic credentials leaves none of them in dfdaemon.log. */
class CredentialsNotLoggedTest {

    @TempDir
    Path home;

    @Test
    void noCredentialInTheLogFile() throws IOException {
        Logging.configure(home.resolve("logs"), "dfdaemon", true, false);
        SwitchableFetcher p2p = new SwitchableFetcher();
        String secretQuery = "Signature=SIGNATURE-SECRET-42";
        try (FakeRegistry registry = FakeRegistry.http().requireAuth(true).redirectBlobs(true)) {
            DfdaemonConfig config = DfdaemonConfig.forRegistry(registry.uri(), home)
                    .withRules(List.of(ProxyRule.p2p("blobs")))
                    .withAllowedHosts(List.of(HostPattern.parse("127.0.0.1")));
            try (DfdaemonServer dfdaemon = DfdaemonServer.start(config, direct -> p2p)) {
                int port = dfdaemon.port();
                String bearer = "Authorization: Bearer " + FakeRegistry.TOKEN;
                String blob = "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer1);
                assertThat(RawHttp.exchange(port, "GET", "/v2/").status()).isEqualTo(401);
                assertThat(RawHttp.exchange(port, "GET", "/v2/" + FakeRegistry.NAME + "/manifests/v1", bearer).status())
                        .isEqualTo(200);
                // P2P fails, the registry redirects, storage serves: every path that logs is taken
                assertThat(RawHttp.exchange(port, "GET", blob, bearer).body()).isEqualTo(registry.layer1);
                assertThat(RawHttp.exchange(port, "GET", blob, "Authorization: " + FakeRegistry.basicAuth()).status())
                        .isEqualTo(401);
                // forward proxy with user-info, a signed query and proxy credentials
                String absolute = "http://" + FakeRegistry.USER + ":" + FakeRegistry.PASSWORD + "@127.0.0.1:"
                        + registry.port() + blob + "?" + secretQuery;
                RawHttp.exchange(port, "GET", absolute, bearer, "Proxy-Authorization: " + FakeRegistry.basicAuth());
                RawHttp.exchange(port, "GET", "http://127.0.0.1:1/x?" + secretQuery, bearer);
            }
        }
        String log = Files.readString(home.resolve("logs/dfdaemon.log"));
        assertThat(log).as("the log is written, at debug level").contains("-> registry_blob").contains("from direct");
        assertThat(log).doesNotContain(FakeRegistry.TOKEN, FakeRegistry.PASSWORD,
                FakeRegistry.basicAuth().substring("Basic ".length()), "SIGNATURE-SECRET", "Bearer");
    }
}
