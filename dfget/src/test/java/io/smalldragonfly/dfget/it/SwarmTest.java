package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Supernode + origin + three engines with separate homes, all in this JVM, on 127.0.0.1. */
class SwarmTest {

    @TempDir
    Path tmp;

    private Supernode supernode;
    private TestOrigin origin;
    private final List<Peer> peers = new ArrayList<>();

    @BeforeEach
    void start() {
        supernode = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
        origin = TestOrigin.start();
    }

    @AfterEach
    void stop() {
        peers.forEach(Peer::close);
        supernode.close();
        origin.close();
    }

    private SupernodeAddress node() {
        return SupernodeAddress.of("127.0.0.1", supernode.apiPort());
    }

    @Test
    void threePeersDownloadOneFileAtOnceAndShareIt() throws Exception {
        int size = 64 * 1024 * 1024;
        TestOrigin.Resource file = origin.generated("/file64m", size);
        for (int i = 0; i < 3; i++) {
            peers.add(Peer.start(tmp.resolve("peer" + i)));
        }
        List<Download> downloads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("out" + i + ".bin");
            downloads.add(peers.get(i).engine.start(DownloadRequest.builder(origin.url("/file64m"), out)
                    .node(node()).notbs(true).build()));
        }
        long fromPeers = 0;
        for (int i = 0; i < 3; i++) {
            DownloadResult r = downloads.get(i).await();
            assertThat(r.length()).isEqualTo(size);
            assertThat(r.md5()).isEqualTo(file.md5());
            assertThat(Digests.md5Hex(r.output())).isEqualTo(file.md5());
            assertThat(r.fromPeers() + r.fromSupernode()).isEqualTo(size);
            assertThat(r.fromSource()).isZero();
            fromPeers += r.fromPeers();
            System.out.println(r.summary() + " origin sent " + origin.bytesSent());
        }
        assertThat(origin.bytesSent()).as("origin sends about one copy").isLessThan((long) (size * 1.2));
        assertThat(fromPeers).as("some pieces went peer to peer").isGreaterThan(0);
    }
}
