package io.smalldragonfly.dfdaemon.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The real programs the dfdaemon tests drive (Debian's docker-registry, skopeo, ...), on 127.0.0.1. */
public final class LocalTools {

    public static final String REGISTRY = "/usr/bin/docker-registry";

    private LocalTools() {}

    /**
     * Starts Debian's docker-registry on 127.0.0.1:{@code port} with storage, config, access log
     * ({@code registry.log}) in {@code dir}; {@code extraYaml} adds top-level sections (tls, auth).
     * Returns once it accepts connections (a plain GET of /v2/ would fail behind TLS or auth).
     */
    public static Process startRegistry(Path dir, int port, String extraYaml) throws IOException {
        Path config = Files.writeString(dir.resolve("registry.yml"), """
                version: 0.1
                log:
                  level: info
                  accesslog:
                    disabled: false
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: 127.0.0.1:%d
                  secret: dfdaemon-test
                """.formatted(dir.resolve("registry-data"), port) + extraYaml);
        Process registry = new ProcessBuilder(REGISTRY, "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> {
                    try (Socket probe = new Socket("127.0.0.1", port)) {
                        return probe.isConnected() && registry.isAlive();
                    }
                });
        return registry;
    }

    /**
     * Runs {@code command} to completion (two minutes at most) with its temp files and registry
     * credentials ({@code auth.json}) in {@code dir}; fails with its output unless it exits 0.
     */
    public static void run(Path dir, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "cmd", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("TMPDIR", dir.toString());
        pb.environment().put("REGISTRY_AUTH_FILE", dir.resolve("auth.json").toString());
        Process p = pb.start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited && p.exitValue() == 0)
                .as("%s failed:%n%s", String.join(" ", command), Files.readString(out)).isTrue();
    }

    /**
     * Writes {@code dir/registries.conf} for skopeo (containers/image): docker.io images come from
     * the plain-HTTP mirror on 127.0.0.1:{@code mirrorPort}. Returns the file.
     */
    public static Path registriesConf(Path dir, int mirrorPort) throws IOException {
        return Files.writeString(dir.resolve("registries.conf"), """
                [[registry]]
                prefix = "docker.io"
                location = "docker.io"

                [[registry.mirror]]
                location = "127.0.0.1:%d"
                insecure = true
                """.formatted(mirrorPort));
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
