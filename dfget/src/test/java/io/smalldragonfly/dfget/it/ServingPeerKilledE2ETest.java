package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A serving peer killed with {@code kill -9} mid-transfer: peer A is a launched {@code bin/dfget}
 * whose upload server (a separate process) holds the whole file; peer B downloads, rate-limited,
 * and A's upload server is killed while B fetches from it. B must finish with the right file
 * (from the CDN or other peers) and without going back to the source.
 */
class ServingPeerKilledE2ETest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path DFGET = ROOT.resolve("bin/dfget");

    @TempDir
    Path tmp;

    @Test
    void aServingPeerKilledMidTransferCostsNothingButItsPieces() throws Exception {
        Prerequisites.require(Files.isRegularFile(ROOT.resolve("dfget/target/dfget.jar")),
                "build the launcher's jars first: mvn -q -DskipTests package");
        int size = 32 * 1024 * 1024;
        Path homeA = tmp.resolve("a");
        try (TestOrigin origin = TestOrigin.start(); Peer b = Peer.start(tmp.resolve("b"))) {
            TestOrigin.Resource f = origin.generated("/f", size);
            Supernode sn = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
            long serverPid = -1;
            try {
                Process a = new ProcessBuilder(DFGET.toString(), "-u", origin.url("/f"), "-o", tmp.resolve("a.bin").toString(),
                        "-n", "127.0.0.1:" + sn.apiPort(), "--home", homeA.toString(), "--ip", "127.0.0.1", "--notbs",
                        "--alivetime", "120s").redirectErrorStream(true)
                        .redirectOutput(tmp.resolve("a.out").toFile()).start();
                assertThat(a.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(a.exitValue()).as(Files.readString(tmp.resolve("a.out"))).isZero();
                serverPid = UploadServerClient.readState(homeA).orElseThrow().pid();
                long sourceBytes = origin.bytesSent();

                Download d = b.engine.start(DownloadRequest.builder(origin.url("/f"), tmp.resolve("b.bin"))
                        .node(SupernodeAddress.of("127.0.0.1", sn.apiPort())).localLimit(8L << 20).notbs(true).build());
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .until(() -> d.progress().bytes() >= 4L << 20);
                ProcessHandle server = ProcessHandle.of(serverPid).orElseThrow();
                new ProcessBuilder("kill", "-9", Long.toString(serverPid)).start().waitFor(10, TimeUnit.SECONDS);
                server.onExit().get(10, TimeUnit.SECONDS);

                DownloadResult r = d.result().get(90, TimeUnit.SECONDS);
                assertThat(r.md5()).isEqualTo(f.md5());
                assertThat(Digests.md5Hex(tmp.resolve("b.bin"))).isEqualTo(f.md5());
                assertThat(r.fromSource()).isZero();
                assertThat(origin.bytesSent()).as("the source is not asked again").isEqualTo(sourceBytes);
            } finally {
                if (serverPid > 0) {
                    ProcessHandle.of(serverPid).ifPresent(ProcessHandle::destroyForcibly);
                }
                sn.close();
            }
        }
    }
}
