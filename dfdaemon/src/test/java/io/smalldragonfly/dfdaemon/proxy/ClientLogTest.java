package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.dfdaemon.blob.EngineBlobFetcher;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.FakeRegistry;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The how-to's check after a {@code docker pull}, {@code grep 'downloading piece' <home>/logs/dfclient.log},
 * finds the layer's pieces although dfdaemon, not dfget, ran the download; dfdaemon.log keeps the
 * proxy's lines.
 */
class ClientLogTest {

    @TempDir
    Path tmp;

    @AfterEach
    void restoreTheDefaultLogging() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        new ContextInitializer(ctx).autoConfig();
    }

    @Test
    void aBlobPulledThroughP2pLogsItsPiecesInTheHomesClientLog() throws Exception {
        assertThat(Logging.ENGINE_LOGGER).as("the client log's loggers are the engine's package")
                .isEqualTo(DownloadEngine.class.getPackageName());
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path logs = home.resolve("logs");
        // as DfdaemonCommand does: its own log under its home, which is also the engine's home
        Logging.configure(logs, "dfdaemon", false, false);
        long length = 9L * 1024 * 1024; // 3 pieces of 4 MiB
        String digest;
        String blobPath;
        try (FakeRegistry registry = FakeRegistry.http();
             Supernode sn = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
             EngineBlobFetcher p2p = EngineBlobFetcher.start(EngineBlobFetcher.Settings.of(
                     List.of(SupernodeAddress.of("127.0.0.1", sn.apiPort())), home));
             DfdaemonServer dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(registry.uri(), home),
                     direct -> p2p)) {
            digest = registry.generated(length);
            blobPath = "/v2/" + FakeRegistry.NAME + "/blobs/" + digest;
            RawHttp.Response r = RawHttp.exchange(dfdaemon.port(), "GET", blobPath);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).hasSize((int) length);
            assertThat(dfdaemon.metrics().blobs("p2p")).isEqualTo(1);

            String taskId = TaskId.compute(registry.uri() + blobPath, null, digest).value();
            String client = Files.readString(logs.resolve("dfclient.log"));
            List<String> pieces = client.lines().filter(l -> l.contains("downloading piece:{")).toList();
            assertThat(pieces).as("dfclient.log:%n%s", client).hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(l -> assertThat(l).contains("downloading piece:{\"taskID\":\"" + taskId + "\","
                            + "\"superNode\":\"127.0.0.1\""));
            assertThat(pieces).anySatisfy(l -> assertThat(l).contains("\"pieceNum\":2"));

            String own = Files.readString(logs.resolve("dfdaemon.log"));
            assertThat(own).as("dfdaemon.log").contains("P2P engine: supernodes", "blob " + digest + ": " + length + " bytes from p2p")
                    .doesNotContain("downloading piece");
        }
    }
}
