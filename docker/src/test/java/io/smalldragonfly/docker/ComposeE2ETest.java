package io.smalldragonfly.docker;

import static io.smalldragonfly.docker.DockerSupport.docker;
import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yaml, run for real with docker-compose (Debian's 1.29, installed by
 * scripts/install-deps.sh): everything becomes healthy, and each dfclient downloads through the
 * compose supernode and mirrors the compose registry.
 */
class ComposeE2ETest {

    private static final String PROJECT = "sd-compose-test";
    private static final List<String> CONTAINERS =
            List.of("small-dragonfly-supernode", "small-dragonfly-registry", "dfclient01", "dfclient02");
    private static final Path OVERRIDE = DockerSupport.TARGET.resolve("compose-test.override.yaml");
    private static boolean up;
    private static Origin origin;

    @BeforeAll
    static void up() throws Exception {
        DockerSupport.assumeDocker();
        Prerequisites.require(DockerSupport.run(Duration.ofSeconds(30), null, "docker-compose", "version").exit() == 0,
                "docker-compose is not installed (scripts/install-deps.sh installs it): compose test skipped");
        DockerSupport.buildImages();
        DockerSupport.requireFreePorts(8001, 8002, 5000, 65001, 65002);
        CONTAINERS.forEach(DockerSupport::removeByName);
        origin = Origin.start(6 * 1024 * 1024 + 7, 42L);
        // Test-only override: the images' HEALTHCHECK command every second instead of every 10 s.
        StringBuilder fast = new StringBuilder("services:\n");
        for (String service : List.of("supernode", "registry", "dfclient01", "dfclient02")) {
            fast.append("  ").append(service).append(":\n    healthcheck:\n      interval: 1s\n");
        }
        Files.createDirectories(DockerSupport.TARGET);
        Files.writeString(OVERRIDE, fast);
        up = true;
        // depends_on waits for a healthy supernode before it starts the dfclients
        compose("up", "-d").ok();
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (String c : CONTAINERS) {
                assertThat(docker("inspect", "-f", "{{.State.Health.Status}}", c).output().strip()).as(c)
                        .isEqualTo("healthy");
            }
        });
    }

    @AfterAll
    static void down() {
        if (up) {
            compose("logs", "--no-color");
            compose("down", "-v");
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void eachDfclientDownloadsThroughTheComposeSupernode() {
        for (String c : List.of("dfclient01", "dfclient02")) {
            docker("exec", c, "dfget", "-u", origin.url(), "-o", "/tmp/file.bin", "--node", "127.0.0.1:8002").ok();
            assertThat(docker("exec", c, "md5sum", "/tmp/file.bin").ok().output()).as(c).startsWith(origin.md5());
            docker("exec", c, "grep", "-q", "downloading piece", "/root/.small-dragonfly/logs/dfclient.log").ok();
        }
    }

    @Test
    void eachDfclientMirrorsTheComposeRegistry() {
        for (int port : List.of(65001, 65002)) {
            DockerSupport.Cli r = DockerSupport.run(Duration.ofSeconds(30), null, "curl", "-sS", "-o", "/dev/null",
                    "-w", "%{http_code}", "http://127.0.0.1:" + port + "/v2/");
            assertThat(r.output().strip()).as("GET /v2/ through dfdaemon on %d", port).isEqualTo("200");
        }
    }

    private static DockerSupport.Cli compose(String... args) {
        String[] cmd = new String[args.length + 7];
        cmd[0] = "docker-compose";
        cmd[1] = "-f";
        cmd[2] = DockerSupport.ROOT.resolve("docker/compose.yaml").toString();
        cmd[3] = "-f";
        cmd[4] = OVERRIDE.toString();
        cmd[5] = "-p";
        cmd[6] = PROJECT;
        System.arraycopy(args, 0, cmd, 7, args.length);
        return DockerSupport.run(Duration.ofMinutes(3), DockerSupport.TARGET.resolve("compose-" + args[0] + ".log"), cmd);
    }
}
