package io.smalldragonfly.common.cli;

import io.smalldragonfly.common.Version;
import picocli.CommandLine;

/** {@code --version} of every binary: the project version, the Java runtime and the wire protocol. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {
            "${COMMAND-NAME} " + Version.CURRENT + " (small-dragonfly)",
            "protocol: Dragonfly 0.3.x / 1.0.x supernode API",
            "java: " + System.getProperty("java.version") + " " + System.getProperty("java.vm.name"),
        };
    }
}
