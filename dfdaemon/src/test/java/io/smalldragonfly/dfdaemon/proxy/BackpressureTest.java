package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A big blob and a client that stops reading: the registry must stop sending too (dfdaemon holds
 * a bounded amount, not the blob), and when the client reads on, the blob arrives whole and right.
 */
class BackpressureTest {

    static final long SIZE = 128L << 20;
    static final long STALLED_LIMIT = 40L << 20;

    @TempDir
    Path home;

    @Test
    void aStalledClientStallsTheRegistry() throws IOException {
        try (FakeRegistry registry = FakeRegistry.http();
             DfdaemonServer dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home),
                     direct -> new SwitchableFetcher())) {
            String digest = registry.generated(SIZE);
            // the blob path (direct fetcher behind a failing P2P slot), then the relay of a non-blob path
            stallThenRead(registry, dfdaemon, "/v2/" + FakeRegistry.NAME + "/blobs/" + digest, digest);
            assertThat(dfdaemon.metrics().blobs("direct")).isEqualTo(1);
            stallThenRead(registry, dfdaemon, "/generated", digest);
            assertThat(dfdaemon.metrics().requests("registry")).isEqualTo(1);
        }
    }

    private static void stallThenRead(FakeRegistry registry, DfdaemonServer dfdaemon, String path, String digest)
            throws IOException {
        long before = registry.generatedBytesWritten();
        try (RawHttp c = new RawHttp(dfdaemon.port())) {
            c.send("GET", path);
            InputStream in = c.input();
            byte[] first = in.readNBytes(1 << 20);
            assertThat(first).hasSize(1 << 20);
            await().pollInterval(Duration.ofMillis(100)).during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> registry.generatedBytesWritten() - before < STALLED_LIMIT);
            // now read everything: headers were in 'first', so hash the body from its start
            MessageDigest md = Digests.sha256();
            int headerEnd = indexOf(first, "\r\n\r\n".getBytes()) + 4;
            md.update(first, headerEnd, first.length - headerEnd);
            long remaining = SIZE - (first.length - headerEnd);
            byte[] buf = new byte[1 << 16];
            while (remaining > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                assertThat(n).as("body cut short with %d bytes to go", remaining).isPositive();
                md.update(buf, 0, n);
                remaining -= n;
            }
            assertThat("sha256:" + Digests.hex(md.digest())).isEqualTo(digest);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("no end of headers in the first MiB");
    }
}
