package io.smalldragonfly.docker;

import static io.smalldragonfly.docker.DockerSupport.docker;
import static io.smalldragonfly.docker.DockerSupport.image;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.GenericContainer;

/**
 * The images as built by docker/build-images.sh: tags, layering, users, entrypoints, and the
 * HEALTHCHECK on /_ping following a non-default --port.
 */
class ImageE2ETest {

    private static final List<GenericContainer<?>> started = new ArrayList<>();

    @BeforeAll
    static void images() {
        DockerSupport.assumeDocker();
        DockerSupport.buildImages();
    }

    @AfterAll
    static void cleanUp() {
        DockerSupport.saveLogsAndStop(started);
    }

    @ParameterizedTest
    @ValueSource(strings = {"supernode", "dfclient", "registry"})
    void imagesAreTaggedWithTheVersionAndLatest(String name) {
        String id = docker("image", "inspect", "-f", "{{.Id}}", image(name)).ok().output().strip();
        String latest = docker("image", "inspect", "-f", "{{.Id}}", "small-dragonfly/" + name + ":latest").ok().output().strip();
        assertThat(latest).isEqualTo(id);
        if (!name.equals("registry")) {
            assertThat(docker("image", "inspect", "-f", "{{index .Config.Labels \"org.opencontainers.image.version\"}}",
                    image(name)).ok().output().strip()).isEqualTo(DockerSupport.VERSION);
        }
    }

    /**
     * Third-party jars, launchers and the project's own jars are three layers, in that order, so a
     * code change ships only the last one, which must stay small.
     */
    @ParameterizedTest
    @ValueSource(strings = {"supernode", "dfclient"})
    void theProjectsJarsAreTheLastSmallLayer(String name) {
        List<String[]> copies = new ArrayList<>();
        for (String line : docker("history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}",
                image(name)).ok().output().split("\n")) {
            String[] f = line.split("\t", 2);
            if (f.length == 2 && f[1].contains(" COPY ")) {
                copies.add(f);
            }
        }
        // history lists the newest layer first
        assertThat(copies).as("COPY layers of %s", name).hasSize(3);
        long app = Long.parseLong(copies.get(0)[0]);
        long bin = Long.parseLong(copies.get(1)[0]);
        long deps = Long.parseLong(copies.get(2)[0]);
        assertThat(copies.get(0)[1]).contains("/opt/small-dragonfly/");
        assertThat(copies.get(1)[1]).contains("/opt/small-dragonfly/bin/");
        assertThat(deps).as("third-party jars").isGreaterThan(2_000_000);
        assertThat(bin).as("launchers").isLessThan(100_000);
        assertThat(app).as("own jars").isLessThan(deps).isLessThan(5_000_000);
    }

    @Test
    void supernodeRunsUnprivilegedAndDfclientAsRoot() {
        assertThat(docker("run", "--rm", "--network", "none", image("supernode"), "id", "-u").ok().output().strip())
                .isEqualTo("10001");
        assertThat(docker("run", "--rm", "--network", "none", image("dfclient"), "id", "-u").ok().output().strip())
                .isEqualTo("0");
    }

    @Test
    void entrypointsPassFlagsToTheServerAndRunOtherCommands() {
        assertThat(docker("run", "--rm", "--network", "none", image("supernode"), "--help").ok().output())
                .contains("Usage: supernode");
        assertThat(docker("run", "--rm", "--network", "none", image("dfclient"), "--help").ok().output())
                .contains("Usage: dfdaemon");
        assertThat(docker("run", "--rm", "--network", "none", image("dfclient"), "dfget", "--version").ok().output())
                .contains("dfget " + DockerSupport.VERSION);
        assertThat(docker("run", "--rm", "--network", "none", image("dfclient"), "sh", "-c", "command -v dfget; command -v dfdaemon")
                .ok().output()).contains("/opt/small-dragonfly/bin/dfget", "/opt/small-dragonfly/bin/dfdaemon");
    }

    @Test
    void healthcheckFailsWhenNothingAnswers() {
        DockerSupport.Cli r = docker("run", "--rm", "--network", "none", "--entrypoint", "/opt/small-dragonfly/bin/healthcheck",
                image("supernode"), "io.smalldragonfly.supernode.SupernodeMain", "8002");
        assertThat(r.exit()).as(r.output()).isNotZero();
    }

    /**
     * On a base image without curl (e.g. a plain JRE image) the healthcheck speaks HTTP through
     * bash's /dev/tcp; and it finds a --port given as one argument or as two.
     */
    @Test
    void healthcheckWorksWithoutCurlAndFollowsEitherPortSpelling() {
        DockerSupport.requireFreePorts(8002);   // else a wrong (default) port could answer
        int api = DockerSupport.freePort();
        int cdn = DockerSupport.freePort();
        String script = "rm -f /usr/bin/curl /bin/curl; command -v curl && exit 3; "
                + "supernode -Dsupernode.advertiseIp=127.0.0.1 --port=" + api + " --download-port " + cdn + " & "
                + "for i in $(seq 1 120); do "
                + "  /opt/small-dragonfly/bin/healthcheck io.smalldragonfly.supernode.SupernodeMain 8002 && exit 0; "
                + "  sleep 0.25; "
                + "done; exit 1";
        DockerSupport.Cli r = docker("run", "--rm", "--network", "host", "--user", "0", "-e", "SUPERNODE_BIND=127.0.0.1",
                "--entrypoint", "bash", image("supernode"), "-c", script);
        assertThat(r.exit()).as("healthcheck without curl; output:%n%s", r.output()).isZero();
    }

    /** `docker run IMAGE --port N ...`: the HEALTHCHECK pings port N, not the default. */
    @Test
    void supernodeAndDfclientBecomeHealthyOnNonDefaultPorts() throws Exception {
        int api = DockerSupport.freePort();
        int cdn = DockerSupport.freePort();
        GenericContainer<?> sn = DockerSupport.container("supernode", "sd-test-supernode-ports")
                .withEnv("SUPERNODE_BIND", "127.0.0.1")
                .withCommand("-Dsupernode.advertiseIp=127.0.0.1", "--port", "" + api, "--download-port", "" + cdn);
        started.add(sn);
        sn.start();
        assertThat(ping(api)).isEqualTo(200);

        int mirror = DockerSupport.freePort();
        GenericContainer<?> dc = DockerSupport.container("dfclient", "sd-test-dfclient-ports")
                .withEnv("DFDAEMON_BIND", "127.0.0.1")
                .withCommand("--port", "" + mirror, "--registry", "https://index.docker.io", "--node", "127.0.0.1:" + api);
        started.add(dc);
        dc.start();
        assertThat(ping(mirror)).isEqualTo(200);
        for (GenericContainer<?> c : List.of(sn, dc)) {
            assertThat(docker("inspect", "-f", "{{.State.Health.Status}}", c.getContainerId()).ok().output().strip())
                    .isEqualTo("healthy");
        }
    }

    static int ping(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_ping"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
