package io.smalldragonfly.supernode;

import io.smalldragonfly.common.cli.CommonOptions;
import io.smalldragonfly.common.cli.VersionProvider;
import io.smalldragonfly.common.config.LayeredDefaults;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.util.Durations;
import io.smalldragonfly.common.util.Sizes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code supernode}: the tracker, scheduler and CDN. Flags beat {@code --config} YAML, which beats SUPERNODE_* env. */
@Command(name = "supernode", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Tracks peers and tasks, schedules pieces and caches sources (Dragonfly 0.3 wire protocol).")
public final class SupernodeCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "8002", description = "API port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--download-port", defaultValue = "8001", description = "CDN piece download port (default: ${DEFAULT-VALUE}).")
    int downloadPort;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address both ports bind (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--advertise-ip", description = "The address peers are told to fetch CDN pieces from (default: 127.0.0.1).")
    String advertiseIp;

    @Option(names = "-D", paramLabel = "key=value", hidden = true,
            description = "The original's system properties; -Dsupernode.advertiseIp=IP is honoured.")
    Map<String, String> systemProperties = new LinkedHashMap<>();

    @Mixin
    CommonOptions common = new CommonOptions(Path.of(System.getProperty("user.home"), ".small-dragonfly", "supernode"),
            "Cache and logs (default: ${DEFAULT-VALUE}).");

    @Option(names = "--config", description = "YAML file of option: value lines.")
    Path config;

    @Option(names = "--cdn-upload-rate", defaultValue = "0",
            description = "Total bytes/s the CDN sends to peers, e.g. 200M; 0 = unlimited (default: ${DEFAULT-VALUE}).")
    String cdnUploadRate;

    @Option(names = "--source-timeout", defaultValue = "20s",
            description = "Longest a source may take to connect or answer, or send nothing mid-body, before the"
                    + " CDN fails the task (default: ${DEFAULT-VALUE}).")
    String sourceTimeout;

    @Option(names = "--cache-quota", defaultValue = "0",
            description = "Evict least recently used tasks past this cache size, e.g. 50G; 0 = none (default: ${DEFAULT-VALUE}).")
    String cacheQuota;

    @Option(names = "--min-free-disk", defaultValue = "0",
            description = "Evict while the cache disk has less free space, e.g. 5G; 0 = none (default: ${DEFAULT-VALUE}).")
    String minFreeDisk;

    @Option(names = "--task-expiry", defaultValue = "3h",
            description = "Remove tasks unused this long, with their cache (default: ${DEFAULT-VALUE}).")
    String taskExpiry;

    @Option(names = "--pieces-per-answer", defaultValue = "4",
            description = "Pieces in one /peer/task answer at most (default: ${DEFAULT-VALUE}).")
    int piecesPerAnswer;

    @Option(names = "--max-in-flight", defaultValue = "4",
            description = "Pieces one downloader may fetch at once (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--uploads-per-peer", defaultValue = "5",
            description = "Concurrent uploads asked of one peer (default: ${DEFAULT-VALUE}).")
    int uploadsPerPeer;

    @Option(names = "--down-link", defaultValue = "20480",
            description = "downLink (KB/s) announced with each piece (default: ${DEFAULT-VALUE}).")
    int downLink;

    @Option(names = "--wait-timeout", defaultValue = "800ms",
            description = "How long /peer/task holds a poll when no piece is ready (default: ${DEFAULT-VALUE}).")
    String waitTimeout;

    @Option(names = "--cdn-duplicate-after", defaultValue = "3s",
            description = "A piece on its way from the CDN to one peer is not sent from the CDN to another "
                    + "before this (default: ${DEFAULT-VALUE}).")
    String cdnDuplicateAfter;

    @Option(names = "--source-allow", split = ",", description = "Only these hosts/.domains/IPs/CIDRs may be fetched.")
    List<String> sourceAllow = new ArrayList<>();

    @Option(names = "--source-deny", split = ",", description = "These hosts/.domains/IPs/CIDRs are never fetched.")
    List<String> sourceDeny = new ArrayList<>();

    @Option(names = "--source-ca", paramLabel = "PEM",
            description = "CA certificates (PEM file, repeatable) trusted for https sources besides the JVM's, "
                    + "e.g. a private registry's CA. Clients cannot add CAs: the cache is shared by all of them.")
    List<Path> sourceCas = new ArrayList<>();

    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new SupernodeCommand());
        cl.setDefaultValueProvider(LayeredDefaults.load(args, "--config", "SUPERNODE"));
        return cl;
    }

    /** The configuration these options describe; a bad value is a {@link CommandLine.ParameterException}. */
    SupernodeConfig toConfig() {
        String ip = advertiseIp;
        for (Map.Entry<String, String> e : systemProperties.entrySet()) {
            if (e.getKey().equals("supernode.advertiseIp")) {
                ip = ip == null ? e.getValue() : ip;
            } else {
                spec.commandLine().getErr().println("supernode: ignoring -D" + e.getKey()
                        + " (only -Dsupernode.advertiseIp is understood)");
            }
        }
        try {
            return SupernodeConfig.builder(common.home()).bindHost(bind).apiPort(port).downloadPort(downloadPort)
                    .advertiseIp(ip).cdnUploadRate(Sizes.parse(cdnUploadRate))
                    .sourceTimeout(duration("--source-timeout", sourceTimeout))
                    .cacheQuota(Sizes.parse(cacheQuota)).minFreeDisk(Sizes.parse(minFreeDisk))
                    .taskExpiry(duration("--task-expiry", taskExpiry)).piecesPerAnswer(piecesPerAnswer)
                    .maxInFlight(maxInFlight).uploadsPerPeer(uploadsPerPeer).downLinkKbps(downLink)
                    .waitTimeout(duration("--wait-timeout", waitTimeout))
                    .cdnDuplicateAfter(duration("--cdn-duplicate-after", cdnDuplicateAfter))
                    .sourceAllow(sourceAllow).sourceDeny(sourceDeny).sourceCas(sourceCas).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "supernode: " + e.getMessage());
        }
    }

    static Duration duration(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        SupernodeConfig cfg = toConfig();
        Logging.configure(cfg.logDir(), "supernode", common.verbose(), true);
        Supernode sn;
        try {
            sn = Supernode.start(cfg);
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sn.close();
            stopped.countDown();
        }, "supernode-shutdown"));
        spec.commandLine().getOut().printf("supernode: api on %d, pieces on %d (advertised as %s)%n",
                sn.apiPort(), sn.downloadPort(), cfg.advertiseIp());
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
