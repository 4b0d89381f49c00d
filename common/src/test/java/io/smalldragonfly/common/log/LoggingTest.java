package io.smalldragonfly.common.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.status.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Which file a line lands in: the engine's lines in the client log, the rest in the process's own. */
class LoggingTest {

    private static final String PIECE = "downloading piece:{\"taskID\":\"t1\",\"pieceNum\":0}";
    private static final String PROXY = "blob sha256:abc: 42 bytes from p2p";

    @TempDir
    Path logs;

    @AfterEach
    void restoreTheDefaultConfiguration() throws Exception {
        LoggerContext ctx = context();
        ctx.reset();
        new ContextInitializer(ctx).autoConfig();
    }

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    @org.junit.jupiter.api.BeforeEach
    void freshStatus() {
        context().getStatusManager().clear();
    }

    private static void logBoth() {
        LoggerFactory.getLogger(Logging.ENGINE_LOGGER + ".P2pSession").info(PIECE);
        LoggerFactory.getLogger("io.smalldragonfly.dfdaemon.proxy.BlobResponder").info(PROXY);
    }

    private String read(String file) throws Exception {
        return Files.readString(logs.resolve(file));
    }

    private static void assertNoConfigurationError() {
        assertThat(context().getStatusManager().getCopyOfStatusList())
                .filteredOn(s -> s.getEffectiveLevel() >= Status.WARN)
                .as("logback's warnings and errors while configuring").isEmpty();
    }

    @Test
    void aProcessRunningTheEngineWritesItsLinesToTheClientLogAndTheRestToItsOwn() throws Exception {
        Logging.configure(logs, "dfdaemon", false, false);
        logBoth();

        assertNoConfigurationError();
        assertThat(read("dfclient.log")).contains(PIECE).doesNotContain(PROXY);
        assertThat(read("dfdaemon.log")).contains(PROXY).doesNotContain(PIECE);
    }

    @Test
    void dfgetsOwnLogIsTheClientLogAndGetsEachLineOnce() throws Exception {
        Logging.configure(logs, "dfclient", false, false);
        logBoth();

        assertNoConfigurationError();
        String log = read("dfclient.log");
        assertThat(log).contains(PIECE, PROXY);
        assertThat(log.split(java.util.regex.Pattern.quote(PIECE), -1)).hasSize(2);
        try (var files = Files.list(logs)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("dfclient.log");
        }
    }

    @Test
    void aProcessWithoutTheEngineLeavesNoClientLog() throws Exception {
        Logging.configure(logs, "supernode", false, false);
        LoggerFactory.getLogger("io.smalldragonfly.supernode.Supernode").info(PROXY);

        assertNoConfigurationError();
        assertThat(read("supernode.log")).contains(PROXY);
        assertThat(logs.resolve("dfclient.log")).doesNotExist();
    }

    @Test
    void theEnginesDebugLinesFollowTheVerboseFlag() throws Exception {
        Logging.configure(logs, "dfdaemon", true, false);
        LoggerFactory.getLogger(Logging.ENGINE_LOGGER + ".SupernodeClient").debug("registered at 127.0.0.1");

        assertThat(read("dfclient.log")).contains("DEBUG", "registered at 127.0.0.1");
    }

    @Test
    void onlyTheEnginesPackageIsTheClientLogs() {
        assertThat(ClientLogDiscriminator.fileFor("io.smalldragonfly.dfget.engine", "dfdaemon")).isEqualTo("dfclient");
        assertThat(ClientLogDiscriminator.fileFor("io.smalldragonfly.dfget.engine.P2pSession", "dfserver"))
                .isEqualTo("dfclient");
        assertThat(ClientLogDiscriminator.fileFor("io.smalldragonfly.dfget.engineering.X", "dfdaemon"))
                .isEqualTo("dfdaemon");
        assertThat(ClientLogDiscriminator.fileFor("io.smalldragonfly.dfget.upload.UploadServer", "dfserver"))
                .isEqualTo("dfserver");
    }
}
