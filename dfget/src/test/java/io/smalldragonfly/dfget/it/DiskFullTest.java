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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, defect 3: a full disk at the output is the downloader's own problem. A 24 MiB file into
 * a 20 MiB tmpfs must end with {@link Failure#LOCAL_ERROR} (exit 1) naming the local path, report no
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

    @ParameterizedTest
    @EnumSource(value = Pattern.class, names = {"P2P", "SOURCE"})
    void aFullOutputDiskIsALocalErrorThatBlamesNobody(Pattern pattern) throws Exception {
        try (Peer healthy = Peer.start(tmp.resolve("healthy")); Peer victim = Peer.start(tmp.resolve("victim"))) {
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
            try (Stream<Path> left = Files.list(disk.dir())) {
                assertThat(left).as("no partial file left filling the disk").isEmpty();
            }
            assertThat(proxy.count("/peer/piece/error")).as("piece errors reported against healthy holders").isZero();
            if (pattern == Pattern.P2P) {
                assertThat(origin.requests().size()).as("no trip back to the source").isEqualTo(sourceRequestsBefore);
            }
        }
    }
}
