package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --ratelimit}: a blob's bytes go out no faster than the limit. */
class RateLimitTest {

    @TempDir
    Path home;

    @Test
    void aBlobIsSentAtTheLimit() throws IOException {
        long limit = 200 * 1024;
        SwitchableFetcher p2p = new SwitchableFetcher();
        try (FakeRegistry registry = FakeRegistry.http();
             DfdaemonServer dfdaemon = DfdaemonServer.start(
                     DfdaemonConfig.forRegistry(registry.uri(), home).withRateLimit(limit), direct -> p2p)) {
            p2p.serve(registry.layer1, true);
            long start = System.nanoTime();
            RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET",
                    "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer1));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(r.body()).isEqualTo(registry.layer1);
            // 300 kB at 200 KiB/s: the first chunk goes at once, the rest takes about 1.1 s
            assertThat(took).isGreaterThan(Duration.ofMillis(900));
        }
    }
}
