package io.smalldragonfly.dfdaemon;

import io.smalldragonfly.common.cli.CommonOptions;
import io.smalldragonfly.common.cli.DurationConverter;
import io.smalldragonfly.common.cli.VersionProvider;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.task.UrlFilter;
import io.smalldragonfly.common.util.Sizes;
import io.smalldragonfly.dfdaemon.blob.BlobFetcher;
import io.smalldragonfly.dfdaemon.blob.EngineBlobFetcher;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.dfdaemon.blob.P2pBlobFetcher;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.config.HostPattern;
import io.smalldragonfly.dfdaemon.config.MirrorConfigFile;
import io.smalldragonfly.dfdaemon.config.ProxyRule;
import io.smalldragonfly.dfdaemon.proxy.DfdaemonServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dfdaemon}: a registry mirror in front of dockerd that sends layer blobs through P2P, and
 * an HTTP proxy with regex rules. Flags are the original's (PROTOCOL.md, "dfdaemon"), plus
 * {@code --registry-ca}, {@code --insecure} and {@code --allow-host}; docs/dfdaemon.md has the
 * reference. Flags beat the {@code --config} file, which beats {@code DFDAEMON_*} variables.
 */
@Command(name = "dfdaemon", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "A docker registry mirror and HTTP proxy that pulls layer blobs through the P2P swarm.")
public final class DfdaemonCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(DfdaemonCommand.class);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "65001", description = "Listen port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Listen address (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--registry", description = "The registry to mirror, http(s)://host[:port] (default: registry_mirror.remote, else https://index.docker.io).")
    String registry;

    @Option(names = {"--node", "-n"}, split = ",", description = "Supernodes, host[:port][=weight],... (for the P2P engine).")
    List<String> nodes = new ArrayList<>();

    @Mixin
    CommonOptions common = new CommonOptions(Path.of(System.getProperty("user.home"), ".small-dragonfly"),
            "Data and logs (default: ${DEFAULT-VALUE}).");

    @Option(names = "--ratelimit", description = "Rate limit per blob, e.g. 20M (bytes per second; default unlimited).")
    String rateLimit;

    @Option(names = "--rule", split = ",", description = "Regexes of absolute URLs sent through P2P in proxy mode.")
    List<String> rules = new ArrayList<>();

    @Option(names = "--urlfilter", defaultValue = "Signature&Expires&OSSAccessKeyId",
            description = "Query keys left out of task ids (default: ${DEFAULT-VALUE}).")
    String urlFilter;

    @Option(names = "--notbs", description = "Never fetch a blob straight from the registry when P2P fails.")
    boolean noBackToSource;

    @Option(names = "--registry-ca", split = ",", description = "PEM files of CAs trusted for an HTTPS registry (besides the JVM's).")
    List<Path> registryCas = new ArrayList<>();

    @Option(names = "--insecure", description = "Accept any certificate from the registry (testing only).")
    boolean insecure;

    @Option(names = "--allow-host", split = ",",
            description = "Hosts the forward proxy and CONNECT may reach besides the registry: host, host:port, *.domain, or * (open relay).")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--hostIp", description = "The IP other peers reach this node's upload server on (for the P2P engine).")
    String hostIp;

    @Option(names = "--p2p-start-timeout", defaultValue = "30",
            description = "Seconds the P2P path may take to start a blob before the registry is used (default: ${DEFAULT-VALUE}).")
    int p2pStartTimeoutSeconds;

    @Option(names = "--config", description = "YAML file in the shape of the original 1.x dfdaemon config.")
    Path config;

    @Option(names = {"--dfpath", "--localrepo", "--callsystem", "--maxprocs"}, hidden = true,
            description = "Accepted for compatibility with the original and ignored: dfget runs in-process.")
    List<String> ignored = new ArrayList<>();

    @Option(names = {"--certpem", "--keypem"}, hidden = true, description = "Not supported: serve the mirror over plain HTTP on a trusted host.")
    String tlsServing;

    @Option(names = "--expiretime", defaultValue = "3m", converter = DurationConverter.class,
            description = "Keep a pulled blob (for this node and its peers) this long after its last use: 90s, 3m, 1h (default: ${DEFAULT-VALUE}).")
    Duration expireTime;

    /** The P2P path for tests; null = the dfget engine over {@code --node} (none: direct only). */
    private final Function<BlobFetcher, BlobFetcher> p2p;

    public DfdaemonCommand() {
        this(null);
    }

    DfdaemonCommand(Function<BlobFetcher, BlobFetcher> p2p) {
        this.p2p = p2p;
    }

    @Override
    public Integer call() throws InterruptedException {
        DfdaemonConfig cfg;
        try {
            cfg = toConfig();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("dfdaemon: " + e.getMessage());
            return 2;
        }
        Logging.configure(cfg.home().resolve("logs"), "dfdaemon", cfg.verbose(), true);
        if (!ignored.isEmpty()) {
            log.warn("--dfpath, --localrepo, --callsystem and --maxprocs are ignored: the download engine runs in-process");
        }
        EngineBlobFetcher engine = null;
        Function<BlobFetcher, BlobFetcher> p2pPath = p2p;
        if (p2pPath == null && cfg.nodes().isEmpty()) {
            log.warn("P2P: no --node given; every blob is fetched straight from {}{}", cfg.registry(),
                    cfg.noBackToSource() ? " (but --notbs is set: blob GETs will fail)" : "");
            p2pPath = direct -> P2pBlobFetcher.unavailable("no supernode given (--node)");
        } else if (p2pPath == null) {
            try {
                engine = EngineBlobFetcher.start(new EngineBlobFetcher.Settings(
                        SupernodeAddress.parseList(cfg.nodes()), cfg.home(), hostIp, cfg.rateLimit(), cfg.urlFilter(),
                        expireTime));
            } catch (java.io.IOException | RuntimeException e) {
                spec.commandLine().getErr().println("dfdaemon: cannot start the P2P engine: " + e.getMessage());
                return 1;
            }
            EngineBlobFetcher started = engine;
            p2pPath = direct -> started;
        }
        DfdaemonServer server;
        try {
            server = DfdaemonServer.start(cfg, p2pPath);
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("dfdaemon: " + e.getMessage());
            if (engine != null) {
                engine.close();
            }
            return 1;
        }
        spec.commandLine().getOut().println("dfdaemon: mirroring " + cfg.registry() + " on " + cfg.bindHost() + ":"
                + server.port());
        spec.commandLine().getOut().flush();
        CountDownLatch stopped = new CountDownLatch(1);
        EngineBlobFetcher engineToClose = engine;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (engineToClose != null) {
                engineToClose.close();
            }
            stopped.countDown();
        }, "dfdaemon-shutdown"));
        stopped.await();
        return 0;
    }

    /** Flags and the YAML file's nested sections, merged and checked. */
    DfdaemonConfig toConfig() {
        if (tlsServing != null) {
            throw new IllegalArgumentException("--certpem/--keypem are not supported (expected dfdaemon on plain HTTP"
                    + " on the docker host; use --registry https://... for TLS to the registry)");
        }
        MirrorConfigFile file = config == null ? MirrorConfigFile.EMPTY : MirrorConfigFile.read(config);
        String remote = registry != null ? registry : file.remote().orElse(DfdaemonConfig.DEFAULT_REGISTRY.toString());
        URI registryUri = UrlFilter.requireHttpUrl(remote.trim());
        if (registryUri.getRawPath() != null && !registryUri.getRawPath().isEmpty() && !registryUri.getRawPath().equals("/")) {
            throw new IllegalArgumentException("registry: '" + remote + "' has a path (expected http(s)://host[:port])");
        }
        List<ProxyRule> allRules = new ArrayList<>();
        rules.stream().filter(r -> !r.isBlank()).map(ProxyRule::p2p).forEach(allRules::add);
        allRules.addAll(file.proxies());
        List<HostPattern> hosts = new ArrayList<>(file.allowedHosts());
        allowHosts.stream().filter(h -> !h.isBlank()).map(HostPattern::parse).forEach(hosts::add);
        List<Path> cas = new ArrayList<>(file.certs());
        cas.addAll(registryCas);
        long limit = rateLimit == null || rateLimit.isBlank() ? 0 : Sizes.parse(rateLimit);
        SupernodeAddress.parseList(nodes); // a malformed --node is a usage error (exit 2), not a start failure
        return new DfdaemonConfig(bind, port, URI.create(remote.trim().replaceAll("/+$", "")), allRules, hosts, cas,
                insecure || file.insecure(), UrlFilter.parse(urlFilter), limit, noBackToSource, nodes,
                common.home(), common.verbose(), Duration.ofSeconds(p2pStartTimeoutSeconds));
    }

}
