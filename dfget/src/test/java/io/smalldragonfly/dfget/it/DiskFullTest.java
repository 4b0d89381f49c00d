package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.testing.SmallDisk;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.Failure;
import io.smalldragonfly.dfget.engine.Pattern;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, defect 3: a full disk at the output (or at the output and the home) is the
 * downloader's own problem. A 24 MiB file into a 20 MiB tmpfs must end with {@link Failure#LOCAL_ERROR} (exit 1) naming the local path, report no
 * piece error against the healthy peer or CDN it was fetching from, not go back to the source, and
 * leave nothing at the output (nor a partial file filling the disk).
 */
class DiskFullTest {

    private static final int SIZE = 24 * 1024 * 1024;

    @TempDir
    Path tmp;

    private Supernode supernode;
    private TestOrigin origin;
    private RecordingProxy proxy;
    private SmallDisk disk;

    @BeforeEach
    void start() throws Exception {
        disk = SmallDisk.mount(tmp.resolve("small"), 20);
        supernode = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
        proxy = new RecordingProxy(supernode.apiPort());
        origin = TestOrigin.start();
        origin.generated("/f", SIZE);
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
            supernode.close();
            origin.close();
        }
        disk.close();
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    @ParameterizedTest(name = "{0}, home on the full disk too: {1}")
    @CsvSource({"P2P, false", "SOURCE, false", "P2P, true"})
    void aFullOutputDiskIsALocalErrorThatBlamesNobody(Pattern pattern, boolean homeOnDisk) throws Exception {
        Path victimHome = homeOnDisk ? disk.dir().resolve("home") : tmp.resolve("victim");
        try (Peer healthy = Peer.start(tmp.resolve("healthy")); Peer victim = Peer.start(victimHome)) {
            if (pattern == Pattern.P2P) {
                healthy.engine.download(DownloadRequest.builder(origin.url("/f"), tmp.resolve("healthy.bin"))
                        .node(SupernodeAddress.of("127.0.0.1", proxy.port())).notbs(true).build());
            }
            long sourceRequestsBefore = origin.requests().size();
            Path out = disk.dir().resolve("out.bin");
            DownloadRequest.Builder req = DownloadRequest.builder(origin.url("/f"), out).pattern(pattern);
            if (pattern == Pattern.P2P) {
                req.node(SupernodeAddress.of("127.0.0.1", proxy.port()));
            }
            assertThatThrownBy(() -> victim.engine.download(req.build()))
                    .isInstanceOfSatisfying(DownloadException.class, e -> {
                        assertThat(e.failure()).isEqualTo(Failure.LOCAL_ERROR);
                        assertThat(e.getMessage()).contains(disk.dir().toString()).contains("No space left on device");
                    });
            assertThat(out).doesNotExist();
            try (Stream<Path> left = Files.walk(disk.dir())) {
                assertThat(left.filter(Files::isRegularFile).filter(f -> size(f) > 64 * 1024))
                        .as("no partial file left filling the disk").isEmpty();
            }
            assertThat(proxy.count("/peer/piece/error")).as("piece errors reported against healthy holders").isZero();
            if (pattern == Pattern.P2P) {
                assertThat(origin.requests().size()).as("no trip back to the source").isEqualTo(sourceRequestsBefore);
            }
        }
    }
}
