package io.smalldragonfly.dfget;

import io.smalldragonfly.common.cli.CommonOptions;
import io.smalldragonfly.common.cli.DurationConverter;
import io.smalldragonfly.common.cli.VersionProvider;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.util.DaemonThreads;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadEngine;
import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.EngineConfig;
import io.smalldragonfly.dfget.engine.Failure;
import io.smalldragonfly.dfget.engine.Pattern;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfget.peer.DownloadOrder;
import io.smalldragonfly.dfget.peer.PeerCli;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import io.smalldragonfly.dfget.upload.UploadServer;
import io.smalldragonfly.dfget.upload.UploadServerClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dfget -u URL -o FILE --node SUPERNODES}: download through the P2P swarm. See docs/dfget.md. */
@Command(name = "dfget", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        subcommands = ServerCommand.class, sortOptions = false,
        description = "Downloads a URL through the P2P swarm, serving its pieces to other peers.",
        footer = {"", "Exit codes: 0 ok, 1 local error, 2 usage, 3 no supernode (--notbs), 4 source error,",
                "5 digest mismatch, 6 timeout, 130 interrupted."})
public final class DfgetCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(DfgetCommand.class);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-u", "--url"}, description = "The URL to download (http or https).")
    String url;

    @Option(names = {"-o", "--output"}, description = "Where to write the file (its directory must exist).")
    Path output;

    @Option(names = {"-n", "--node"}, split = ",", paramLabel = "host[:port][=weight]",
            description = "Supernodes, ordered per task (rendezvous hashing, docs/cluster.md) with failover. Port default 8002.")
    List<String> nodes = new ArrayList<>();

    @Option(names = {"-m", "--md5"}, description = "Expected md5 of the file; checked at the end.")
    String md5;

    @Option(names = {"-i", "--identifier"}, description = "Identifies the file instead of its URL (excludes --md5).")
    String identifier;

    @Option(names = "--header", paramLabel = "\"Name: value\"", description = "Header for the source (repeatable).")
    List<String> headers = new ArrayList<>();

    @Option(names = {"-f", "--filter"}, paramLabel = "k1&k2",
            description = "Query keys left out of the task id, e.g. 'Signature&Expires'.")
    String filter;

    @Option(names = {"-s", "--locallimit"}, converter = Converters.Size.class, paramLabel = "RATE",
            description = "Download rate limit for this file, e.g. 20M (bytes/s); 0 = unlimited. Default: 0.")
    long localLimit;

    @Option(names = "--totallimit", converter = Converters.Size.class, paramLabel = "RATE",
            description = "Rate limit for all dfget downloads of this home (host) together; 0 = unlimited. Default: 0.")
    long totalLimit;

    @Option(names = "--minrate", converter = Converters.Size.class, paramLabel = "RATE",
            description = "Slowest acceptable rate of a piece (sets its deadline). Default: 64K.")
    long minRate = 64 * 1024;

    @Option(names = {"-e", "--timeout"}, converter = DurationConverter.class, paramLabel = "SECONDS",
            description = "Give up after this long (300, 90s, 5m); 0 = never. Default: 0.")
    Duration timeout = Duration.ZERO;

    @Option(names = "--source-timeout", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Back to source: the longest the source may take to connect or answer, or send nothing"
                    + " mid-body, before the download fails (a stall is not retried). Default: 20s.")
    Duration sourceTimeout = DownloadRequest.DEFAULT_SOURCE_TIMEOUT;

    @Option(names = "--notbs", description = "Never download from the source directly.")
    boolean notbs;

    @Option(names = {"-p", "--pattern"}, paramLabel = "p2p|cdn|source",
            description = "Where pieces come from: p2p (peers and CDN), cdn (supernode only), source. Default: p2p.")
    String pattern = "p2p";

    @Option(names = "--cdnport", paramLabel = "PORT",
            description = "The supernodes' CDN port, for -p cdn until a supernode names its CDN. Default: 8001.")
    int cdnPort = 8001;

    @Option(names = "--callsystem", description = "Name of the calling system, passed to the supernode.")
    String callSystem;

    @Option(names = {"-b", "--showbar"}, description = "Show a progress bar even when stderr is not a terminal.")
    boolean showBar;

    @Option(names = "--console", description = "Also log to stderr.")
    boolean console;

    @Mixin
    CommonOptions common = new CommonOptions(ThinClient.defaultHome(),
            "Data, logs and upload server state. Default: ~/.small-dragonfly.");

    @Option(names = "--ip", description = "This peer's address for other peers. Default: the address that routes to the supernode.")
    String ip;

    @Option(names = "--port", description = "Upload server port when one is started; 0 picks a free one. Default: 0.")
    int port;

    @Option(names = "--alivetime", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Upload server exits after this long idle. Default: 5m.")
    Duration aliveTime = Duration.ofMinutes(5);

    @Option(names = "--expiretime", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Upload server stops serving a file unused this long. Default: 3m.")
    Duration expireTime = Duration.ofMinutes(3);

    @Option(names = "--cacerts", split = ",", description = "Extra CA certificates (PEM) for an https source.")
    List<Path> cacerts = new ArrayList<>();

    @Option(names = "--insecure", description = "Do not verify the https source's certificate.")
    boolean insecure;

    @Option(names = "--json", description = "Print one JSON object with the result on stdout at exit.")
    boolean json;

    @Option(names = "--in-process",
            description = "Run the download in this process rather than in the home's peer process.")
    boolean inProcess;

    /** Set when this command runs in the home's peer process for a thin client (see {@link PeerCli}). */
    record ForClient(PeerCli.Request request, PeerCli.Session session, Path peerHome, PeerDownloads downloads) {}

    private final ForClient forClient;

    DfgetCommand() {
        this(null);
    }

    DfgetCommand(ForClient forClient) {
        this.forClient = forClient;
    }

    /** The command line as typed, to hand to the peer process. */
    private List<String> typed() {
        return spec.commandLine().getParseResult().originalArgs();
    }

    /**
     * Checks the command line, then has the home's peer process (started when none runs) run it,
     * where the download runs in one warm JVM beside the upload server, and prints what it prints;
     * or, with {@code --in-process} (or when no peer process can take it), runs the engine here.
     * In the peer process, runs the download on its engine for the client. Either way the output,
     * exit codes, summary and {@code --json} are the same.
     */
    @Override
    public Integer call() {
        DownloadRequest checked = validate(null);
        Path h = home();
        if (forClient != null) {
            return h.equals(forClient.peerHome()) ? runForClient(h, checked) : PeerCli.NOT_THIS_HOME;
        }
        // A client that hands the command to the peer process logs nothing worth a file (the peer
        // process writes the download's lines), so it keeps the bootstrap logging unless asked to
        // show more: configuring the file appenders costs a fresh JVM about 0.1 CPU-seconds.
        boolean logged = inProcess || common.verbose() || console;
        if (logged) {
            configureLogging(h);
        }
        if (!inProcess) {
            Integer code = runOnPeer(h, checked);
            if (code != null) {
                return code;
            }
        }
        if (!logged) {
            configureLogging(h);
        }
        if (fallback != null) {
            log.info("{}; downloading in this process", fallback);
        }
        String peerIp = ip != null ? ip : SupernodeAddress.routeIp(checked.nodes());
        return runInProcess(h, validate(peerIp), peerIp);
    }

    /** {@code p} absolute: against the client's working directory when this runs for one. */
    private Path absolute(Path p) {
        return (forClient != null ? forClient.request().cwd().resolve(p) : p.toAbsolutePath()).normalize();
    }

    /** The home, absolute, with its logs directory, where this process logs from now on. */
    private Path home() {
        Path h = absolute(common.home());
        try {
            Files.createDirectories(h.resolve("logs"));
        } catch (IOException e) {
            throw usage("home: cannot create '" + h + "' (" + e.getMessage() + "); expected a writable directory");
        }
        return h;
    }

    private void configureLogging(Path h) {
        Logging.configure(h.resolve("logs"), "dfclient", common.verbose(), console);
    }

    /** This command line as an order for the peer process's engine; paths absolute. */
    private DownloadOrder order(String peerIp) {
        return new DownloadOrder(url, absolute(output).toString(), nodes, md5, identifier, headers,
                filter, pattern, localLimit, totalLimit, minRate, timeout.toMillis(), notbs, callSystem, insecure,
                cacerts.stream().map(p -> absolute(p).toString()).toList(), cdnPort, peerIp,
                sourceTimeout.toMillis());
    }

    /** Why the download runs here after all, when the peer process turned it down. */
    private String fallback;

    /**
     * Has the home's peer process run this command line and returns its exit code, or null when
     * no peer process can take it (it cannot start, or an older upload server runs that takes no
     * command lines).
     */
    private Integer runOnPeer(Path h, DownloadRequest request) {
        UploadServerClient.State peer;
        try {
            peer = UploadServerClient.ensureState(h, typed(), 30_000);
        } catch (IOException e) {
            log.warn("no peer process for {} ({}); downloading in this process", h, e.getMessage());
            return null;
        }
        if (peer.token() == null) {
            fallback = "the upload server of " + h + " (pid " + peer.pid() + ") takes no downloads";
            return null;
        }
        ThinClient client = new ThinClient(spec.commandLine().getOut(), spec.commandLine().getErr());
        try {
            return client.forward(peer.port(), peer.token(), Path.of("").toAbsolutePath(), typed().toArray(String[]::new));
        } catch (ThinClient.Refused e) {
            fallback = "the upload server of " + h + " (pid " + peer.pid() + ") answered " + e.getMessage()
                    + " to a command line";
            return null;
        } catch (IOException e) {
            return failed(request, null, new DownloadException(Failure.LOCAL_ERROR, "the peer process of " + h
                    + " (pid " + peer.pid() + ") cannot be reached (" + e.getMessage() + "); nothing was written to "
                    + request.output() + " (run dfget again to resume)", e));
        }
    }

    /**
     * In the peer process: this client's download on the process's engine, reported to the client
     * as an in-process run reports it.
     */
    private int runForClient(Path h, DownloadRequest request) {
        String peerIp = ip != null ? ip : SupernodeAddress.routeIp(request.nodes());
        Download d;
        try {
            d = forClient.downloads().start(order(peerIp)).join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof IllegalArgumentException) {
                throw usage(cause.getMessage());
            }
            return failed(request, null, new DownloadException(Failure.LOCAL_ERROR, String.valueOf(cause.getMessage())));
        }
        java.io.StringWriter goneOut = new java.io.StringWriter();
        java.io.StringWriter goneErr = new java.io.StringWriter();
        report(new PrintWriter(goneOut), new PrintWriter(goneErr), request, d.taskId(), new DownloadException(
                Failure.LOCAL_ERROR, "the peer process of " + h + " (pid " + ProcessHandle.current().pid()
                + ") stopped before the download ended; nothing was written to " + request.output()
                + " (run dfget again to resume)"));
        forClient.session().running(d, goneOut.toString(), goneErr.toString());
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("dfget-progress"));
        try {
            return awaitInProcess(request, d, showProgress(d, ticker), ticker);
        } finally {
            ticker.shutdownNow();
        }
    }

    /**
     * The download in this JVM. Its pieces are served by the home's peer process when one runs
     * (it serves the home's data directory), else by an upload server in this process while it runs.
     */
    private int runInProcess(Path h, DownloadRequest request, String peerIp) {
        Serving serving = serving(h, request);
        EngineConfig config = new EngineConfig(h, peerIp, null, serving.port(), 4, Duration.ofSeconds(30), totalLimit);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("dfget-progress"));
        try (DownloadEngine engine = new DownloadEngine(config)) {
            Download d;
            try {
                d = engine.start(request);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            Thread hook = onInterrupt(() -> cancelAndWait(d));
            try {
                ProgressBar bar = showProgress(d, ticker);
                if (totalLimit > 0) {
                    ticker.scheduleAtFixedRate(() -> shareTotalLimit(d, serving), 0, 1, TimeUnit.SECONDS);
                }
                return awaitInProcess(request, d, bar, ticker);
            } finally {
                removeHook(hook);
            }
        } finally {
            ticker.shutdownNow();
            serving.close();
        }
    }

    /** Who serves an in-process download's pieces: the home's peer process, else our own upload server (or none). */
    private record Serving(UploadServer own, int port) {
        void close() {
            if (own != null) {
                own.close();
            }
        }
    }

    private Serving serving(Path h, DownloadRequest request) {
        if (request.pattern() == Pattern.SOURCE || request.nodes().isEmpty()) {
            return new Serving(null, 0);
        }
        java.util.Optional<Integer> running = UploadServerClient.find(h);
        if (running.isPresent()) {
            return new Serving(null, running.get());
        }
        try {
            UploadServer own = UploadServer.start(new UploadServer.Config(h, ip == null ? "0.0.0.0" : ip, port, 0, 16,
                    expireTime));
            return new Serving(own, own.port());
        } catch (IOException | RuntimeException e) {
            log.warn("no upload server ({}); this download will not serve its pieces to other peers", e.getMessage());
            return new Serving(null, 0);
        }
    }

    /** Host-wide --totallimit: this download's share, as split among the home's downloads by whoever serves them. */
    private void shareTotalLimit(Download d, Serving serving) {
        if (serving.own() != null) {
            d.rateLimit(serving.own().rateShare(d.taskFileName(), totalLimit, localLimit));
        } else if (serving.port() > 0) {
            UploadServerClient.rateShare(serving.port(), d.taskFileName(), totalLimit, localLimit).ifPresent(d::rateLimit);
        }
    }

    private int awaitInProcess(DownloadRequest request, Download d, ProgressBar bar, ScheduledExecutorService ticker) {
        try {
            DownloadResult r = d.await();
            ticker.shutdownNow();
            if (bar != null) {
                bar.done(d.progress());
            }
            return succeeded(request, r);
        } catch (DownloadException e) {
            ticker.shutdownNow();
            if (bar != null) {
                bar.clear();
            }
            return failed(request, d.taskId(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.CANCELLED;
        }
    }

    /** Ctrl-C: stop fetching and let the download close its files (they stay for a resume). */
    private static void cancelAndWait(Download d) {
        d.cancel();
        try {
            d.result().handle((r, e) -> null).get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            // exiting anyway
        }
    }

    /** The progress bar of {@code d}, redrawn by {@code ticker} every 200 ms; null when none is shown. */
    private ProgressBar showProgress(Download d, ScheduledExecutorService ticker) {
        ProgressBar bar = progressBar();
        if (bar != null) {
            ticker.scheduleAtFixedRate(() -> bar.update(d.progress()), 200, 200, TimeUnit.MILLISECONDS);
        }
        return bar;
    }

    /** A progress bar on stderr when asked for or on a terminal, else null. */
    private ProgressBar progressBar() {
        boolean tty = forClient != null ? forClient.request().tty() : System.console() != null;
        return showBar || tty ? new ProgressBar(spec.commandLine().getErr()) : null;
    }

    /** Runs {@code action} when the JVM is told to stop (Ctrl-C) while the returned hook is registered. */
    private static Thread onInterrupt(Runnable action) {
        Thread hook = new Thread(action, "dfget-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down already
        }
    }

    private int succeeded(DownloadRequest request, DownloadResult r) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (json) {
            out.println(Json.writeString(jsonOf(request, r, null, null)));
            err.println(r.summary());
        } else {
            out.println(r.summary());
        }
        out.flush();
        err.flush();
        return ExitCodes.OK;
    }

    private int failed(DownloadRequest request, String taskId, DownloadException e) {
        log.info("download of {} failed: {} ({})", request.url(), e.getMessage(), e.failure());
        report(spec.commandLine().getOut(), spec.commandLine().getErr(), request, taskId, e);
        return ExitCodes.of(e.failure());
    }

    /** What a failed download prints: the message on stderr, and with --json its object on stdout. */
    private void report(PrintWriter out, PrintWriter err, DownloadRequest request, String taskId, DownloadException e) {
        err.println("dfget: " + e.getMessage());
        err.flush();
        if (json) {
            out.println(Json.writeString(jsonOf(request, null, taskId, e)));
            out.flush();
        }
    }

    /**
     * The command line as the engine's request, with every check a user should hear about before
     * anything starts (usage errors, exit 2).
     */
    private DownloadRequest validate(String peerIp) {
        if (url == null) {
            throw usage("url: missing (expected -u http://...)");
        }
        if (output == null) {
            throw usage("output: missing (expected -o FILE)");
        }
        Path out = absolute(output);
        if (Files.isDirectory(out)) {
            throw usage("output: '" + output + "' is a directory (expected a file path)");
        }
        Path dir = out.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw usage("output: directory '" + dir + "' does not exist (expected an existing directory)");
        }
        if (!Files.isWritable(dir)) {
            throw usage("output: directory '" + dir + "' is not writable (expected write permission)");
        }
        try {
            return order(peerIp).toRequest();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private Map<String, Object> jsonOf(DownloadRequest request, DownloadResult r, String taskId, DownloadException e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", request.url());
        m.put("output", request.output().toString());
        m.put("taskId", r != null ? r.taskId() : taskId);
        m.put("length", r != null ? r.length() : -1);
        m.put("seconds", r != null ? Math.round(r.seconds() * 1000) / 1000.0 : 0);
        m.put("fromPeers", r != null ? r.fromPeers() : 0);
        m.put("fromSupernode", r != null ? r.fromSupernode() : 0);
        m.put("fromSource", r != null ? r.fromSource() : 0);
        m.put("fromLocal", r != null ? r.fromLocal() : 0);
        m.put("md5", r != null ? r.md5() : null);
        m.put("supernode", r != null ? r.supernode() : null);
        m.put("verified", r != null ? r.verified() : null);
        m.put("result", r != null ? "success" : e.failure().name().toLowerCase(java.util.Locale.ROOT));
        if (e != null) {
            m.put("error", e.getMessage());
        }
        return m;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
