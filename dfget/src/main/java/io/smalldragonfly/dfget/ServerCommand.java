package io.smalldragonfly.dfget;

import io.smalldragonfly.common.cli.CommonOptions;
import io.smalldragonfly.common.cli.DurationConverter;
import io.smalldragonfly.common.cli.VersionProvider;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.EngineConfig;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import io.smalldragonfly.dfget.peer.PeerProcess;
import io.smalldragonfly.dfget.upload.UploadServer;
import io.smalldragonfly.dfget.upload.PeerSpawn;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dfget server --home H}: the peer process of one home, normally started in the background
 * by the first dfget of that home. It serves the home's pieces to other peers (the upload server)
 * and runs the command lines of its thin dfget clients ({@code POST /client/run}), all in one
 * warm JVM. One per home (a lock file decides); it writes {@code <home>/uploader.json} (pid, port,
 * the clients' token; owner-only) once listening, exits after {@code --alivetime} without activity
 * (telling the supernodes {@code service/down}), and {@code --stop} stops a running one.
 */
@Command(name = "server", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Runs (or with --stop, stops) the peer process of a home: its upload server and downloads.")
final class ServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common = new CommonOptions(ThinClient.defaultHome(),
            "The peer's home (data, logs, state). Default: ~/.small-dragonfly.");

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

    @Option(names = "--console", description = "Also log to stderr.")
    boolean console;

    @Option(names = PeerSpawn.CLIENT_LINE_ON_STDIN, hidden = true, description = "Read the command line of the dfget"
            + " that starts this process from stdin; its --alivetime, --expiretime, --port, --ip and --verbose apply.")
    boolean clientLineOnStdin;

    /** --verbose here, or in the command line of the dfget that started this process. */
    private boolean verbose;

    /**
     * The server options of the dfget command line that started this process. A line that does
     * not parse changes nothing: that dfget hears of its mistake when it sends the line.
     */
    private void adoptClientLine() throws IOException {
        verbose = common.verbose();
        if (!clientLineOnStdin) {
            return;
        }
        List<String> clientLine;
        try {
            clientLine = PeerSpawn.readClientLine(System.in);
        } catch (IllegalArgumentException e) {
            return;
        }
        picocli.CommandLine cl = DfgetCli.commandLine();
        try {
            cl.parseArgs(clientLine.toArray(String[]::new));
        } catch (picocli.CommandLine.ParameterException e) {
            return;
        }
        DfgetCommand c = cl.getCommand();
        aliveTime = c.aliveTime;
        expireTime = c.expireTime;
        port = c.port != 0 ? c.port : port;
        ip = c.ip != null ? c.ip : ip;
        verbose |= c.common.verbose();
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path h = common.home().toAbsolutePath().normalize();
        if (stop) {
            boolean stopped = UploadServerClient.stop(h, 15_000);
            spec.commandLine().getOut().println(stopped ? "upload server of " + h + " stopped"
                    : "no upload server running for " + h);
            return ExitCodes.OK;
        }
        adoptClientLine();
        Files.createDirectories(h.resolve("logs"));
        Logging.configure(h.resolve("logs"), "dfserver", verbose, console);
        java.util.Optional<PeerProcess> claim = PeerProcess.claim(h);
        if (claim.isEmpty()) {
            log.info("another peer process holds {}; leaving it", h.resolve(UploadServerClient.LOCK_FILE));
            return ExitCodes.OK;
        }
        try (PeerProcess p = claim.get()) {
            return serve(h, p);
        }
    }

    private int serve(Path h, PeerProcess claim) throws IOException, InterruptedException {
        PeerDownloads downloads = PeerDownloads.withRandomToken();
        UploadServer server = UploadServer.start(new UploadServer.Config(h, ip == null ? "0.0.0.0" : ip, port,
                uploadLimit, maxUploads, expireTime), downloads);
        String engineIp = ip == null || ip.equals("0.0.0.0") ? null : ip;
        downloads.open(new DownloadEngine(new EngineConfig(h, engineIp, null, server.port(), 4,
                Duration.ofSeconds(30), 0)), server::rateShare, server::touch, DfgetCli.runnerFor(h, downloads));
        claim.publish(server.port(), downloads.token());
        log.info("peer process of {} listening on port {} (alivetime {}, expiretime {})", h, server.port(),
                aliveTime, expireTime);
        warnIfHashingIsSlow();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("peer process stopping; telling supernodes service/down");
            downloads.close();
            server.serviceDownAll();
            claim.close();
            server.close();
            stopped.countDown();
        }, "upload-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        long check = Math.max(100, Math.min(1000, aliveTime.toMillis() / 4));
        while (System.currentTimeMillis() - server.lastActivityMillis() < aliveTime.toMillis()) {
            if (stopped.await(check, TimeUnit.MILLISECONDS)) {
                return ExitCodes.OK;
            }
            if (!claim.stateFilePresent()) {
                log.info("{} is gone (home deleted?); exiting", UploadServerClient.stateFile(h));
                return ExitCodes.OK;
            }
        }
        log.info("idle for {}; exiting", aliveTime);
        return ExitCodes.OK; // System.exit runs the hook
    }

    /**
     * bin/dfget runs this JVM without C2, which is only as fast as before because the digests come
     * from NSS (Digests); without libnss3 every piece would hash at ~145 MB/s. Also loads NSS now,
     * while the first client connects, rather than on the first piece.
     */
    private static void warnIfHashingIsSlow() {
        // The last one counts, as for the JVM: JAVA_OPTS comes after bin/dfget's own flags.
        String level = "4";
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:TieredStopAtLevel=")) {
                level = arg.substring("-XX:TieredStopAtLevel=".length());
            }
        }
        boolean c1Only = !level.equals("4");
        if (c1Only && !Digests.sha256Provider().startsWith("SunPKCS11")) {
            log.warn("NSS (libnss3) is not available to this JVM: pieces are verified by the JDK's sha256, "
                    + "~10x slower without C2; install libnss3 or run with JAVA_OPTS=-XX:TieredStopAtLevel=4");
        }
    }
}
