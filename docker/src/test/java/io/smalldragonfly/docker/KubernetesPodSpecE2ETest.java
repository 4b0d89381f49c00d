package io.smalldragonfly.docker;

import static io.smalldragonfly.docker.DockerSupport.docker;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.Capability;
import io.smalldragonfly.docker.Manifests.Doc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;

/**
 * No Kubernetes cluster can run here (no API server in Debian, no registry for kind or k3s), so
 * this runs each workload's container of deploy/kubernetes/ the way a kubelet would, with docker:
 * the manifest's image, its args with {@code $(VAR)} expanded from its env (downward-API fields
 * become 127.0.0.1), its ConfigMap files mounted read-only where the manifest mounts them, its
 * hostPath as a host directory, its securityContext (user, read-only root, no capabilities, no
 * privilege escalation), host networking; then it must turn healthy and answer the manifest's
 * probe (httpGet path and port). Listening stays on loopback through the *_BIND variables, which
 * the manifests leave at their default.
 */
class KubernetesPodSpecE2ETest {

    private static List<Doc> docs;
    private final List<GenericContainer<?>> started = new ArrayList<>();
    private final List<Path> scratch = new ArrayList<>();

    @BeforeAll
    static void images() {
        DockerSupport.assumeDocker();
        DockerSupport.buildImages();
        docs = Manifests.readAll(Manifests.root().resolve("deploy/kubernetes"));
    }

    @AfterEach
    void cleanUp() {
        DockerSupport.saveLogsAndStop(started);
        started.clear();
        scratch.forEach(DockerSupport::deleteTree);
        scratch.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"StatefulSet/supernode", "DaemonSet/dfdaemon"})
    void workloadRunsAsItsManifestSaysAndAnswersItsProbes(String workload) throws Exception {
        Doc w = docs.stream().filter(d -> (d.kind() + "/" + d.name()).equals(workload)).findFirst().orElseThrow();
        JsonNode pod = w.node().path("spec").path("template").path("spec");
        JsonNode c = pod.path("containers").get(0);
        List<Integer> ports = new ArrayList<>();
        c.path("ports").forEach(p -> ports.add(p.path("containerPort").asInt()));
        DockerSupport.requireFreePorts(ports.stream().mapToInt(Integer::intValue).toArray());

        // env: literal values, and downward-API fields as the single node here would have them
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : c.path("env")) {
            String field = e.path("valueFrom").path("fieldRef").path("fieldPath").asText(null);
            env.put(e.path("name").asText(), field == null ? e.path("value").asText()
                    : switch (field) {
                        case "status.podIP", "status.hostIP" -> "127.0.0.1";
                        default -> throw new IllegalArgumentException("unhandled fieldRef " + field);
                    });
        }
        List<String> args = new ArrayList<>();
        Pattern var = Pattern.compile("\\$\\(([A-Z_]+)\\)");
        for (JsonNode a : c.path("args")) {
            Matcher m = var.matcher(a.asText());
            args.add(m.replaceAll(r -> Matcher.quoteReplacement(env.get(r.group(1)))));
        }

        String image = c.path("image").asText();
        String name = image.substring(image.indexOf('/') + 1, image.indexOf(':'));
        GenericContainer<?> ctr = DockerSupport.container(name, "sd-test-k8s-" + w.name())
                .withCommand(args.toArray(String[]::new));
        env.forEach(ctr::withEnv);
        ctr.withEnv("SUPERNODE_BIND", "127.0.0.1").withEnv("DFDAEMON_BIND", "127.0.0.1");

        // volumes
        Map<String, JsonNode> volumes = new HashMap<>();
        pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
        Map<String, String> tmpfs = new HashMap<>();
        for (JsonNode m : c.path("volumeMounts")) {
            JsonNode v = volumes.get(m.path("name").asText());
            String mountPath = m.path("mountPath").asText();
            if (v == null) {
                continue;   // a volumeClaimTemplate: the image's own VOLUME at that path
            }
            if (v.has("emptyDir")) {
                tmpfs.put(mountPath, "rw,exec");
                continue;
            }
            Path host = Files.createTempDirectory(DockerSupport.TARGET, "k8s-" + m.path("name").asText() + "-");
            scratch.add(host);
            Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (v.has("configMap")) {
                JsonNode data = docs.stream().filter(d -> d.kind().equals("ConfigMap")
                        && d.name().equals(v.path("configMap").path("name").asText())).findFirst().orElseThrow()
                        .node().path("data");
                for (JsonNode item : v.path("configMap").path("items")) {
                    Path f = host.resolve(item.path("path").asText());
                    Files.writeString(f, data.path(item.path("key").asText()).asText());
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                }
            } else {
                assertThat(v.has("hostPath")).as("volume %s", v).isTrue();
            }
            ctr.withFileSystemBind(host.toString(), mountPath,
                    m.path("readOnly").asBoolean() ? BindMode.READ_ONLY : BindMode.READ_WRITE);
        }

        // securityContext
        JsonNode podSec = pod.path("securityContext");
        JsonNode sec = c.path("securityContext");
        ctr.withCreateContainerCmdModifier(cmd -> {
            if (podSec.has("runAsUser")) {
                cmd.withUser(podSec.path("runAsUser").asText() + ":" + podSec.path("runAsGroup").asText());
            }
            cmd.getHostConfig().withTmpFs(tmpfs);
            if (sec.path("readOnlyRootFilesystem").asBoolean()) {
                cmd.getHostConfig().withReadonlyRootfs(true);
            }
            if (sec.path("capabilities").path("drop").toString().contains("ALL")) {
                cmd.getHostConfig().withCapDrop(Capability.ALL);
            }
            if (sec.has("allowPrivilegeEscalation") && !sec.path("allowPrivilegeEscalation").asBoolean()) {
                cmd.getHostConfig().withSecurityOpts(List.of("no-new-privileges"));
            }
        });
        started.add(ctr);
        ctr.start();

        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            JsonNode http = c.path(probe).path("httpGet");
            int port = -1;
            for (JsonNode p : c.path("ports")) {
                if (p.path("name").asText().equals(http.path("port").asText())
                        || p.path("containerPort").asText().equals(http.path("port").asText())) {
                    port = p.path("containerPort").asInt();
                }
            }
            assertThat(port).as("%s port", probe).isPositive();
            DockerSupport.Cli r = DockerSupport.run(java.time.Duration.ofSeconds(10), null, "curl", "-sS", "-o",
                    "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + port + http.path("path").asText());
            assertThat(r.output().strip()).as("%s of %s", probe, workload).isEqualTo("200");
        }
        if (podSec.has("runAsUser")) {
            assertThat(docker("exec", ctr.getContainerId(), "id", "-u").ok().output().strip())
                    .isEqualTo(podSec.path("runAsUser").asText());
        }
    }
}
