package io.smalldragonfly.dfdaemon;

import io.smalldragonfly.common.cli.VersionProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code dfdaemon}: a registry mirror in front of dockerd that sends layer blobs through P2P.
 * The flags are the original's; the proxy itself is not built yet.
 */
@Command(name = "dfdaemon", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "A docker registry mirror that pulls layer blobs through the P2P swarm (not built yet).")
public final class DfdaemonCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "65001", description = "Listen port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--registry", description = "The registry to mirror, http(s)://host[:port].")
    String registry;

    @Option(names = {"--node", "-n"}, split = ",", description = "Supernodes, host[:port][=weight],...")
    List<String> nodes;

    @Option(names = "--home", defaultValue = "${sys:user.home}/.small-dragonfly",
            description = "Data, logs and upload server state (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--ratelimit", description = "Download rate limit per blob, e.g. 20M.")
    String rateLimit;

    @Option(names = "--rule", split = ",", description = "Regexes of URLs sent through P2P in proxy mode.")
    List<String> rules;

    @Option(names = "--urlfilter", defaultValue = "Signature&Expires&OSSAccessKeyId",
            description = "Query keys left out of task ids (default: ${DEFAULT-VALUE}).")
    String urlFilter;

    @Option(names = "--notbs", description = "Never fetch a blob straight from the registry.")
    boolean noBackToSource;

    @Option(names = "--config", description = "YAML file in the shape of the original 1.x dfdaemon config.")
    Path config;

    @Option(names = "--verbose", description = "Debug logging.")
    boolean verbose;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("dfdaemon: the registry mirror is not built yet (see issue: dfdaemon)");
        return 1;
    }
}
