package io.smalldragonfly.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.github.dockerjava.api.model.HealthCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.smalldragonfly.common.testing.Prerequisites;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * What the image tests share: the docker-or-skip assumption, building the images once per JVM
 * (docker/build-images.sh), containers on the host network that are never pulled, and the docker
 * CLI for what Testcontainers does not cover (history, push).
 *
 * <p>Testcontainers runs here without Ryuk and without its startup checks (both would pull images
 * from Docker Hub, which cannot be reached; see docker/pom.xml), so every test class removes its
 * containers itself in {@code @AfterAll}.
 */
final class DockerSupport {

    static final String VERSION = System.getProperty("images.version", "0.1.0-SNAPSHOT");
    static final Path ROOT = Manifests.root();
    static final Path TARGET = ROOT.resolve("docker/target");
    static final String DOCKER = Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";

    private static Boolean available;
    private static String unavailableReason;
    private static boolean built;

    private DockerSupport() {}

    /** Skips the calling test class, with a message, when no docker daemon answers (fails it in CI). */
    static void assumeDocker() {
        if (available == null) {
            String why;
            try {
                DockerClientFactory.instance().client();
                why = null;
            } catch (RuntimeException | Error e) {
                why = e.toString();
            }
            available = why == null;
            if (why != null) {
                unavailableReason = why;
                System.err.println("docker-tests: no docker daemon reachable (DOCKER_HOST or /var/run/docker.sock): "
                        + why + "; skipping the image suite. Start one with scripts/dockerd.sh start; .ci/run does.");
            }
        }
        // Skips on a developer's machine without docker; fails in CI (CI=true), where scripts/test.sh
        // starts dockerd, so a broken setup cannot pass as a skipped suite.
        Prerequisites.require(available, "no docker daemon reachable (DOCKER_HOST or /var/run/docker.sock: "
                + unavailableReason + "): image suite skipped; start one with scripts/dockerd.sh start (.ci/run does)");
    }

    /**
     * Builds the offline base and the images from the jars this reactor just packaged, once per JVM
     * ({@code -Dimages.skipBuild=true} uses whatever images exist). Docker's layer cache makes an
     * unchanged rebuild take about a second.
     */
    static synchronized void buildImages() {
        if (built || Boolean.getBoolean("images.skipBuild")) {
            built = true;
            return;
        }
        Path log = TARGET.resolve("build-images.log");
        long t0 = System.nanoTime();
        Cli r = run(Duration.ofMinutes(10), log, ROOT.resolve("docker/build-images.sh").toString(), "--no-maven");
        if (r.exit != 0) {
            fail("docker/build-images.sh failed (exit %d); log %s:%n%s", r.exit, log, tail(r.output, 40));
        }
        System.err.printf("docker-tests: images built in %.1f s (log %s)%n", (System.nanoTime() - t0) / 1e9, log);
        built = true;
    }

    static String image(String name) {
        return "small-dragonfly/" + name + ":" + VERSION;
    }

    /**
     * A container of one of our images on the host network (the daemon here runs with
     * --bridge=none), never pulled, whose HEALTHCHECK (the image's own command) runs every
     * second so that {@link Wait#forHealthcheck()} answers quickly.
     */
    static GenericContainer<?> container(String image, String name) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image(image)));
        c.withImagePullPolicy(img -> false)
                .withNetworkMode("host")
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withName(name);
                    // Only the timings: the daemon keeps the image's test command when Test is empty.
                    cmd.withHealthcheck(new HealthCheck()
                            .withInterval(TimeUnit.SECONDS.toNanos(1))
                            .withTimeout(TimeUnit.SECONDS.toNanos(3))
                            .withStartPeriod(TimeUnit.SECONDS.toNanos(60))
                            .withRetries(3));
                })
                .waitingFor(new HealthyOrExited(Duration.ofSeconds(120)))
                .withStartupAttempts(1);
        removeByName(name);
        return c;
    }

    /** Removes a container left over by an interrupted run (there is no Ryuk to do it). */
    static void removeByName(String name) {
        run(Duration.ofSeconds(30), null, DOCKER, "rm", "-f", "-v", name);
    }

    /** Saves each container's log in docker/target/container-logs/ and removes it with its volumes. */
    static void saveLogsAndStop(List<GenericContainer<?>> containers) {
        Path dir = TARGET.resolve("container-logs");
        for (GenericContainer<?> c : containers) {
            if (c == null) {
                continue;
            }
            try {
                if (c.getContainerId() != null) {
                    Files.createDirectories(dir);
                    String name = c.getContainerInfo() != null ? c.getContainerInfo().getName().replace("/", "") : c.getContainerId();
                    Files.writeString(dir.resolve(name + ".log"), c.getLogs());
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("docker-tests: could not save logs: " + e);
            }
            try {
                c.stop();
            } catch (RuntimeException e) {
                System.err.println("docker-tests: could not stop a container: " + e);
            }
        }
    }

    /** Fails the test, saying who holds it, unless every port is free on 127.0.0.1. */
    static void requireFreePorts(int... ports) {
        for (int p : ports) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
            } catch (IOException e) {
                Cli who = run(Duration.ofSeconds(10), null, "ss", "-Hltnp", "sport = :" + p);
                fail("port %d is in use, and the seed's commands need it (the daemon has no bridge, so containers "
                        + "share the host's ports): %s", p, who.output.strip());
            }
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The result of a command: exit code and its stdout+stderr. */
    record Cli(int exit, String output) {
        Cli ok() {
            assertThat(exit).as("exit code; output:%n%s", output).isZero();
            return this;
        }
    }

    /** Runs a command (stdout and stderr together, also copied to {@code log} when given). */
    static Cli run(Duration timeout, Path log, String... command) {
        try {
            Path out = Files.createTempFile("docker-tests", ".out");
            ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            pb.environment().put("DOCKER_BUILDKIT", "0");
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            Files.delete(out);
            if (log != null) {
                Files.createDirectories(log.getParent());
                Files.writeString(log, text);
            }
            return new Cli(p.isAlive() ? -1 : p.exitValue(), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Cli docker(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(DOCKER);
        cmd.addAll(List.of(args));
        return run(Duration.ofMinutes(3), null, cmd.toArray(String[]::new));
    }

    /** Removes a scratch directory the tests made under docker/target (best effort). */
    static void deleteTree(Path dir) {
        if (dir == null || !dir.startsWith(TARGET)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("docker-tests: could not remove " + dir + ": " + e);
        }
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
    }
}
