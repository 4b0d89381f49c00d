package io.smalldragonfly.dfdaemon;

import io.smalldragonfly.common.config.LayeredDefaults;
import picocli.CommandLine;

/** Entry point of {@code bin/dfdaemon}. */
public final class DfdaemonMain {
    private DfdaemonMain() {}

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The command with flag defaults from {@code --config} and {@code DFDAEMON_*}; also for tests. */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new DfdaemonCommand());
        try {
            cl.setDefaultValueProvider(LayeredDefaults.load(args, "--config", "DFDAEMON"));
        } catch (IllegalArgumentException e) {
            // reported again, with the usual exit code, when the command reads the same file
            cl.getErr().println("dfdaemon: " + e.getMessage());
        }
        return cl;
    }
}
