package io.smalldragonfly.dfdaemon;

import picocli.CommandLine;

/** Entry point of {@code bin/dfdaemon}. */
public final class DfdaemonMain {
    private DfdaemonMain() {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new DfdaemonCommand()).execute(args));
    }
}
