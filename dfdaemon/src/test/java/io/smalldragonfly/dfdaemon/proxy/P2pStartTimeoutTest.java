package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.dfdaemon.blob.BlobStream;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A P2P path that never starts (black-holed supernode) must not hang the pull. */
class P2pStartTimeoutTest {

    @TempDir
    Path home;

    @Test
    void aHungP2pPathFallsBackAfterTheTimeoutAndALateStreamIsClosed() throws IOException {
        SwitchableFetcher p2p = new SwitchableFetcher();
        CompletableFuture<BlobStream> never = new CompletableFuture<>();
        p2p.answer(r -> never);
        DfdaemonConfig config = DfdaemonConfig.forRegistry(java.net.URI.create("http://unused"), home);
        try (FakeRegistry registry = FakeRegistry.http();
             DfdaemonServer dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home)
                     .withP2pStartTimeout(Duration.ofMillis(300)), direct -> p2p)) {
            long start = System.nanoTime();
            RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET",
                    "/v2/" + FakeRegistry.NAME + "/blobs/" + FakeRegistry.digest(registry.layer1));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(registry.layer1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(dfdaemon.metrics().blobs("direct")).isEqualTo(1);

            AtomicBoolean closed = new AtomicBoolean();
            never.complete(BlobStream.of(1, new ByteArrayInputStream(new byte[1]) {
                @Override
                public void close() {
                    closed.set(true);
                }
            }));
            await().atMost(Duration.ofSeconds(5)).untilTrue(closed);
        }
        assertThat(config.p2pStartTimeout()).isEqualTo(DfdaemonConfig.DEFAULT_P2P_START_TIMEOUT);
    }
}
