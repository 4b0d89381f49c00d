package io.smalldragonfly.supernode;

import io.smalldragonfly.common.cli.VersionProvider;
import io.smalldragonfly.common.config.LayeredDefaults;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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

    @Option(names = "--advertise-ip", description = "The address peers are told to fetch CDN pieces from.")
    String advertiseIp;

    @Option(names = "--home", defaultValue = "${sys:user.home}/.small-dragonfly/supernode",
            description = "Cache and logs (default: ${DEFAULT-VALUE}).")
    Path home;

    @Option(names = "--config", description = "YAML file of option: value lines.")
    Path config;

    @Option(names = "--verbose", description = "Debug logging.")
    boolean verbose;

    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new SupernodeCommand());
        cl.setDefaultValueProvider(LayeredDefaults.load(args, "--config", "SUPERNODE"));
        return cl;
    }

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("supernode: the server is not built yet (see issue: Supernode)");
        return 1;
    }
}
