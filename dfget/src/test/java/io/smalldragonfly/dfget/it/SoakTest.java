package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.MalformedHttp;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI-sized soak (bench/soak.sh runs 1,000 with separate processes): 60 small downloads back to
 * back through one in-process supernode and one peer, each a new task. After a warm-up of 20, the
 * fds and threads of this JVM (supernode, upload server and engine together) must not grow with
 * the next 40: leaks show up as one fd or thread per download.
 */
class SoakTest {

    @TempDir
    Path tmp;

    @Test
    void sixtyDownloadsBackToBackLeakNoFdsOrThreads() throws Exception {
        try (TestOrigin origin = TestOrigin.start(); Peer peer = Peer.start(tmp.resolve("peer"))) {
            TestOrigin.Resource file = origin.generated("/f", 256 * 1024);
            Supernode sn = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
            try {
                long fdsWarm = 0;
                int threadsWarm = 0;
                for (int n = 1; n <= 60; n++) {
                    DownloadResult r = peer.engine.download(DownloadRequest.builder(origin.url("/f?n=" + n),
                            tmp.resolve("out.bin")).node(SupernodeAddress.of("127.0.0.1", sn.apiPort())).build());
                    assertThat(r.md5()).isEqualTo(file.md5());
                    if (n == 20) {
                        fdsWarm = MalformedHttp.openFds();
                        threadsWarm = Thread.activeCount();
                    }
                }
                long fds = MalformedHttp.openFds();
                int threads = Thread.activeCount();
                assertThat(fds).as("fds after 60 downloads (%d after 20)", fdsWarm).isLessThanOrEqualTo(fdsWarm + 10);
                assertThat(threads).as("threads after 60 downloads (%d after 20)", threadsWarm)
                        .isLessThanOrEqualTo(threadsWarm + 8);
            } finally {
                sn.close();
            }
        }
    }
}
