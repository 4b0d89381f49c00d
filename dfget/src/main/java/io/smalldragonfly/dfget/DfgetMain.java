package io.smalldragonfly.dfget;

import picocli.CommandLine;

/** Entry point of {@code bin/dfget}. */
public final class DfgetMain {
    private DfgetMain() {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new DfgetCommand()).execute(args));
    }
}
