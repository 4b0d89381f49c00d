package io.smalldragonfly.dfget;

import io.smalldragonfly.common.cli.DurationConverter;
import io.smalldragonfly.common.cli.VersionProvider;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.dfget.upload.UploadServer;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dfget server --home H}: the peer upload server of one home, normally started in the
 * background by the first dfget of that home. One per home (a lock file decides); it writes
 * {@code <home>/uploader.json} once listening, exits after {@code --alivetime} without activity
 * (telling the supernodes {@code service/down}), and {@code --stop} stops a running one.
 */
@Command(name = "server", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Runs (or with --stop, stops) the peer upload server of a home.")
final class ServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--home", description = "The peer's home (data, logs, state). Default: ~/.small-dragonfly.")
    Path home = DfgetCommand.defaultHome();

    @Option(names = "--ip", description = "Address to listen on. Default: all interfaces.")
    String ip;

    @Option(names = "--port", description = "Port to listen on; 0 picks a free one. Default: 0.")
    int port;

    @Option(names = "--alivetime", converter = DurationConverter.class,
            description = "Exit after this long without uploads or downloads. Default: 5m.")
    Duration aliveTime = Duration.ofMinutes(5);

    @Option(names = "--expiretime", converter = DurationConverter.class,
            description = "Stop serving a file not used for this long. Default: 3m.")
    Duration expireTime = Duration.ofMinutes(3);

    @Option(names = "--uploadlimit", converter = Converters.Size.class,
            description = "Upload rate for all pieces, e.g. 100M; 0 = unlimited. Default: 0.")
    long uploadLimit;

    @Option(names = "--maxuploads", description = "Pieces sent at once; more get 503. Default: 16.")
    int maxUploads = 16;

    @Option(names = "--stop", description = "Stop the running server of --home and exit.")
    boolean stop;

    @Option(names = "--verbose", description = "Debug logging.")
    boolean verbose;

    @Option(names = "--console", description = "Also log to stderr.")
    boolean console;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path h = home.toAbsolutePath().normalize();
        if (stop) {
            boolean stopped = UploadServerClient.stop(h, 15_000);
            spec.commandLine().getOut().println(stopped ? "upload server of " + h + " stopped"
                    : "no upload server running for " + h);
            return ExitCodes.OK;
        }
        Files.createDirectories(h.resolve("logs"));
        Logging.configure(h.resolve("logs"), "dfserver", verbose, console);
        try (FileChannel lockFile = FileChannel.open(h.resolve("uploader.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                log.info("another upload server holds {}; leaving it", h.resolve("uploader.lock"));
                return ExitCodes.OK;
            }
            return serve(h);
        }
    }

    private int serve(Path h) throws IOException, InterruptedException {
        UploadServer server = UploadServer.start(new UploadServer.Config(h, ip == null ? "0.0.0.0" : ip, port,
                uploadLimit, maxUploads, expireTime));
        Path state = UploadServerClient.stateFile(h);
        Path tmp = h.resolve(UploadServerClient.STATE_FILE + ".tmp");
        Files.write(tmp, Json.write(new UploadServerClient.State(ProcessHandle.current().pid(), server.port(),
                h.toString())));
        Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.info("upload server of {} listening on port {} (alivetime {}, expiretime {})", h, server.port(),
                aliveTime, expireTime);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("upload server stopping; telling supernodes service/down");
            server.serviceDownAll();
            try {
                Files.deleteIfExists(state);
            } catch (IOException e) {
                log.debug("delete {}: {}", state, e.toString());
            }
            server.close();
            stopped.countDown();
        }, "upload-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long check = Math.max(100, Math.min(1000, aliveTime.toMillis() / 4));
        while (System.currentTimeMillis() - server.lastActivityMillis() < aliveTime.toMillis()) {
            if (stopped.await(check, TimeUnit.MILLISECONDS)) {
                return ExitCodes.OK;
            }
            if (!Files.isRegularFile(state)) {
                log.info("{} is gone (home deleted?); exiting", state);
                return ExitCodes.OK;
            }
        }
        log.info("idle for {}; exiting", aliveTime);
        return ExitCodes.OK; // System.exit runs the hook
    }
}
