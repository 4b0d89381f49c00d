package io.smalldragonfly.dfget;

import io.smalldragonfly.common.cli.VersionProvider;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dfget -u URL -o FILE --node SUPERNODES}: download through the P2P swarm. */
@Command(name = "dfget", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Downloads a URL through the P2P swarm, serving its pieces to other peers.")
public final class DfgetCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-u", "--url"}, description = "The URL to download.")
    String url;

    @Option(names = {"-o", "--output"}, description = "Where to write the file.")
    String output;

    @Option(names = {"-n", "--node"}, split = ",", description = "Supernodes, host[:port][=weight],...")
    java.util.List<String> nodes;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("dfget: the download engine is not built yet (see issue: dfget)");
        return 1;
    }
}
