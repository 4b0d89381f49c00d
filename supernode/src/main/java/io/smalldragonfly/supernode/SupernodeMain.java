package io.smalldragonfly.supernode;

import picocli.CommandLine;

/** Entry point of {@code bin/supernode}. */
public final class SupernodeMain {
    private SupernodeMain() {}

    public static void main(String[] args) {
        System.exit(SupernodeCommand.commandLine(args).execute(args));
    }
}
