package io.smalldragonfly.common.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every command has ({@code @Mixin}): {@code --verbose} and {@code --home}. A command
 * gives its own home default by constructing the mixin ({@code @Mixin CommonOptions common = new
 * CommonOptions(Path.of(...))}; picocli shows it as {@code ${DEFAULT-VALUE}} and a default provider
 * such as {@code LayeredDefaults} still overrides it), and its own description of {@code --home}
 * (what the home holds differs) as the key {@code home} of the command's resource bundle.
 */
public final class CommonOptions {

    @Option(names = "--verbose", description = "Debug logging.")
    boolean verbose;

    @Option(names = "--home", descriptionKey = "home", description = "Data and logs (default: ${DEFAULT-VALUE}).")
    Path home;

    /** For picocli; a command constructs it with its home default. */
    public CommonOptions() {}

    public CommonOptions(Path defaultHome) {
        this.home = defaultHome;
    }

    public boolean verbose() {
        return verbose;
    }

    public Path home() {
        return home;
    }
}
