package io.smalldragonfly.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.docker.Manifests.Doc;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Static checks of deploy/kubernetes/: every YAML document parses; kinds and API versions are the
 * expected ones; selectors match template labels; Services, probes and container ports agree;
 * the dfdaemon's supernode list names pods that the StatefulSet creates; and the manifests agree
 * with the Dockerfiles (ports, user, volume paths). No cluster is needed (none can run here).
 */
class KubernetesManifestTest {

    private static final String NAMESPACE = "small-dragonfly";
    private static final Map<String, String> API_VERSIONS = Map.of(
            "Namespace", "v1",
            "ConfigMap", "v1",
            "Service", "v1",
            "Deployment", "apps/v1",
            "StatefulSet", "apps/v1",
            "DaemonSet", "apps/v1",
            "Kustomization", "kustomize.config.k8s.io/v1beta1");
    private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet", "DaemonSet");
    private static final Pattern DNS_1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private static Path dir;
    private static List<Doc> docs;

    @BeforeAll
    static void read() {
        dir = Manifests.root().resolve("deploy/kubernetes");
        docs = Manifests.readAll(dir);
    }

    @Test
    void everyDocumentHasAKnownKindApiVersionAndName() {
        assertThat(docs).extracting(Doc::kind)
                .contains("Namespace", "ConfigMap", "Service", "StatefulSet", "DaemonSet", "Kustomization");
        Set<String> seen = new HashSet<>();
        for (Doc d : docs) {
            assertThat(API_VERSIONS).as("%s: kind", d).containsKey(d.kind());
            assertThat(d.node().path("apiVersion").asText()).as("%s: apiVersion", d)
                    .isEqualTo(API_VERSIONS.get(d.kind()));
            if (d.kind().equals("Kustomization")) {
                continue;
            }
            assertThat(d.name()).as("%s: metadata.name", d).matches(DNS_1123);
            if (!d.kind().equals("Namespace")) {
                assertThat(d.node().path("metadata").path("namespace").asText()).as("%s: namespace", d)
                        .isEqualTo(NAMESPACE);
            }
            assertThat(seen.add(d.kind() + "/" + d.name())).as("%s: duplicate", d).isTrue();
        }
    }

    @Test
    void kustomizationListsEveryManifestFile() throws IOException {
        Doc k = only("Kustomization", null);
        List<String> listed = new ArrayList<>();
        k.node().path("resources").forEach(r -> listed.add(r.asText()));
        List<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
        }
        assertThat(listed).containsExactlyInAnyOrderElementsOf(files);
        assertThat(k.node().path("namespace").asText()).isEqualTo(NAMESPACE);
    }

    @Test
    void selectorsMatchTemplateLabels() {
        for (Doc w : workloads()) {
            JsonNode match = w.node().path("spec").path("selector").path("matchLabels");
            assertThat(match.size()).as("%s: selector.matchLabels", w).isPositive();
            JsonNode labels = template(w).path("metadata").path("labels");
            match.properties().forEach(e -> assertThat(labels.path(e.getKey()).asText())
                    .as("%s: template label %s", w, e.getKey()).isEqualTo(e.getValue().asText()));
        }
    }

    @Test
    void servicesSelectAWorkloadAndTargetItsContainerPorts() {
        for (Doc svc : all("Service")) {
            JsonNode selector = svc.node().path("spec").path("selector");
            assertThat(selector.size()).as("%s: selector", svc).isPositive();
            List<Doc> selected = workloads().stream().filter(w -> selects(selector, w)).toList();
            assertThat(selected).as("%s selects a workload", svc).isNotEmpty();
            for (Doc w : selected) {
                for (JsonNode port : svc.node().path("spec").path("ports")) {
                    JsonNode cp = containerPort(w, port.path("targetPort"));
                    assertThat(cp).as("%s: targetPort %s is a container port of %s", svc, port.path("targetPort"), w)
                            .isNotNull();
                    assertThat(cp.path("protocol").asText("TCP")).isEqualTo(port.path("protocol").asText("TCP"));
                }
            }
        }
    }

    @Test
    void probesPingAContainerPort() {
        for (Doc w : workloads()) {
            for (JsonNode c : containers(w)) {
                for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
                    JsonNode http = c.path(probe).path("httpGet");
                    assertThat(http.isMissingNode()).as("%s %s: %s.httpGet", w, c.path("name"), probe).isFalse();
                    assertThat(http.path("path").asText()).as("%s: %s path", w, probe).isEqualTo("/_ping");
                    assertThat(containerPort(w, http.path("port"))).as("%s: %s port %s", w, probe, http.path("port"))
                            .isNotNull();
                }
                Set<String> names = new HashSet<>();
                for (JsonNode p : c.path("ports")) {
                    assertThat(names.add(p.path("name").asText())).as("%s: port names unique", w).isTrue();
                }
            }
        }
    }

    @Test
    void containersHaveRequestsWithinLimitsAndProjectImages() {
        String version = System.getProperty("images.version", "0.1.0-SNAPSHOT");
        for (Doc w : workloads()) {
            for (JsonNode c : containers(w)) {
                assertThat(c.path("image").asText()).as("%s: image", w)
                        .matches("small-dragonfly/(supernode|dfclient):" + Pattern.quote(version));
                JsonNode res = c.path("resources");
                for (String r : List.of("cpu", "memory")) {
                    String req = res.path("requests").path(r).asText(null);
                    String lim = res.path("limits").path(r).asText(null);
                    assertThat(req).as("%s: requests.%s", w, r).isNotNull();
                    assertThat(lim).as("%s: limits.%s", w, r).isNotNull();
                    assertThat(quantity(req)).as("%s: %s request <= limit", w, r).isLessThanOrEqualTo(quantity(lim));
                }
            }
        }
    }

    @Test
    void volumesAndConfigMapsResolve() {
        for (Doc w : workloads()) {
            JsonNode spec = template(w).path("spec");
            Map<String, JsonNode> volumes = new LinkedHashMap<>();
            spec.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
            if (w.kind().equals("StatefulSet")) {
                w.node().path("spec").path("volumeClaimTemplates")
                        .forEach(v -> volumes.put(v.path("metadata").path("name").asText(), v));
            }
            for (JsonNode c : containers(w)) {
                for (JsonNode m : c.path("volumeMounts")) {
                    assertThat(volumes).as("%s: volumeMount %s", w, m.path("name")).containsKey(m.path("name").asText());
                }
            }
            for (JsonNode v : volumes.values()) {
                JsonNode cm = v.path("configMap");
                if (cm.isMissingNode()) {
                    continue;
                }
                Doc map = only("ConfigMap", cm.path("name").asText());
                for (JsonNode item : cm.path("items")) {
                    assertThat(map.node().path("data").has(item.path("key").asText()))
                            .as("%s: ConfigMap %s has key %s", w, map.name(), item.path("key")).isTrue();
                }
            }
        }
    }

    @Test
    void supernodeStatefulSetHasAHeadlessServiceAndItsConfigAgreesWithItsPorts() {
        Doc sts = only("StatefulSet", "supernode");
        Doc svc = only("Service", sts.node().path("spec").path("serviceName").asText());
        assertThat(svc.node().path("spec").path("clusterIP").asText()).isEqualTo("None");
        assertThat(selects(svc.node().path("spec").path("selector"), sts)).isTrue();
        assertThat(sts.node().path("spec").path("replicas").asInt()).as("replicas: a cluster of three (docs/cluster.md)")
                .isEqualTo(3);

        JsonNode config = configFile("supernode-config", "supernode.yml");
        assertThat(containerPort(sts, config.path("port")).path("name").asText()).isEqualTo("api");
        assertThat(containerPort(sts, config.path("download-port")).path("name").asText()).isEqualTo("cdn");
        JsonNode c = containers(sts).get(0);
        assertThat(c.path("args").toString()).contains("--config=/etc/small-dragonfly/supernode.yml",
                "--advertise-ip=$(POD_IP)");
        assertThat(c.path("env").toString()).contains("status.podIP");
        assertThat(mountPath(c, "cache")).isEqualTo("/var/lib/small-dragonfly");
        assertThat(config.path("home").asText()).startsWith(mountPath(c, "cache") + "/");
        assertThat(mountPath(c, "config")).isEqualTo("/etc/small-dragonfly");
    }

    @Test
    void dfdaemonRunsOnTheHostNetworkWithHostPortAndAHostPathHome() {
        Doc ds = only("DaemonSet", "dfdaemon");
        JsonNode spec = template(ds).path("spec");
        assertThat(spec.path("hostNetwork").asBoolean()).isTrue();
        assertThat(spec.path("dnsPolicy").asText()).isEqualTo("ClusterFirstWithHostNet");
        JsonNode c = containers(ds).get(0);
        JsonNode mirror = containerPort(ds, new com.fasterxml.jackson.databind.node.TextNode("mirror"));
        assertThat(mirror.path("containerPort").asInt()).isEqualTo(65001);
        // With hostNetwork the API server rejects a hostPort different from the containerPort.
        assertThat(mirror.path("hostPort").asInt()).isEqualTo(65001);

        JsonNode config = configFile("dfdaemon-config", "dfdaemon.yml");
        assertThat(config.path("port").asInt()).isEqualTo(65001);
        String home = mountPath(c, "home");
        assertThat(config.path("home").asText()).isEqualTo(home).isEqualTo("/root/.small-dragonfly");
        JsonNode hostPath = null;
        for (JsonNode v : spec.path("volumes")) {
            if (v.path("name").asText().equals("home")) {
                hostPath = v.path("hostPath");
            }
        }
        assertThat(hostPath).isNotNull();
        assertThat(hostPath.path("path").asText()).startsWith("/var/lib/small-dragonfly/");
        assertThat(hostPath.path("type").asText()).isEqualTo("DirectoryOrCreate");
        assertThat(config.path("registry_mirror").path("remote").asText()).startsWith("https://");
    }

    /** Every supernode the dfdaemons list must be a pod the StatefulSet creates, on its API port. */
    @Test
    void dfdaemonSupernodeListNamesTheStatefulSetPods() {
        Doc sts = only("StatefulSet", "supernode");
        String svcName = sts.node().path("spec").path("serviceName").asText();
        Doc svc = only("Service", svcName);
        int apiPort = -1;
        for (JsonNode p : svc.node().path("spec").path("ports")) {
            if (p.path("name").asText().equals("api")) {
                apiPort = p.path("port").asInt();
            }
        }
        int replicas = sts.node().path("spec").path("replicas").asInt();
        JsonNode nodes = configFile("dfdaemon-config", "dfdaemon.yml").path("node");
        // Every pod, each once: a missing one would own no tasks, and clients with different lists
        // would order tasks differently (docs/cluster.md).
        assertThat(nodes.size()).as("supernodes listed, one per pod").isEqualTo(replicas);
        Pattern p = Pattern.compile(Pattern.quote(sts.name()) + "-(\\d+)\\." + Pattern.quote(svcName) + "\\."
                + NAMESPACE + "\\.svc\\.cluster\\.local:(\\d+)");
        Set<Integer> ordinals = new HashSet<>();
        for (JsonNode n : nodes) {
            Matcher m = p.matcher(n.asText());
            assertThat(m.matches()).as("node entry %s", n).isTrue();
            assertThat(Integer.parseInt(m.group(1))).isLessThan(replicas);
            assertThat(Integer.parseInt(m.group(2))).isEqualTo(apiPort);
            ordinals.add(Integer.parseInt(m.group(1)));
        }
        assertThat(ordinals).hasSize(replicas);
    }

    /** The manifests run the images as built: same ports, user and paths as the Dockerfiles. */
    @Test
    void manifestsAgreeWithTheDockerfiles() throws IOException {
        Path docker = Manifests.root().resolve("docker");
        String sn = Files.readString(docker.resolve("supernode/Dockerfile"));
        String dc = Files.readString(docker.resolve("dfclient/Dockerfile"));

        Doc sts = only("StatefulSet", "supernode");
        assertThat(exposed(sn)).containsExactlyInAnyOrderElementsOf(containerPorts(sts));
        assertThat(sn).contains("ARG UID=" + template(sts).path("spec").path("securityContext").path("runAsUser").asInt());
        assertThat(sn).contains("VOLUME [\"" + mountPath(containers(sts).get(0), "cache") + "\"]");
        assertThat(sn).contains("SupernodeMain\", \"8002\"]");

        Doc ds = only("DaemonSet", "dfdaemon");
        assertThat(exposed(dc)).containsExactlyInAnyOrderElementsOf(containerPorts(ds));
        assertThat(dc).contains("VOLUME [\"" + mountPath(containers(ds).get(0), "home") + "\"]");
        assertThat(dc).contains("DfdaemonMain\", \"65001\"]");
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static List<Doc> all(String kind) {
        return docs.stream().filter(d -> d.kind().equals(kind)).toList();
    }

    private static Doc only(String kind, String name) {
        List<Doc> found = all(kind).stream().filter(d -> name == null || d.name().equals(name)).toList();
        if (found.size() != 1) {
            fail("expected one %s named %s, found %s", kind, name, found);
        }
        return found.get(0);
    }

    private static List<Doc> workloads() {
        return docs.stream().filter(d -> WORKLOADS.contains(d.kind())).toList();
    }

    private static JsonNode template(Doc w) {
        return w.node().path("spec").path("template");
    }

    private static List<JsonNode> containers(Doc w) {
        List<JsonNode> out = new ArrayList<>();
        template(w).path("spec").path("containers").forEach(out::add);
        assertThat(out).as("%s: containers", w).isNotEmpty();
        return out;
    }

    private static boolean selects(JsonNode selector, Doc w) {
        JsonNode labels = template(w).path("metadata").path("labels");
        for (Map.Entry<String, JsonNode> e : selector.properties()) {
            if (!labels.path(e.getKey()).asText().equals(e.getValue().asText())) {
                return false;
            }
        }
        return w.node().path("metadata").path("namespace").asText().equals(NAMESPACE);
    }

    /** The container port a Service targetPort or probe port (a name or a number) refers to, else null. */
    private static JsonNode containerPort(Doc w, JsonNode ref) {
        for (JsonNode c : containers(w)) {
            for (JsonNode p : c.path("ports")) {
                boolean hit = ref.isNumber() || ref.asText().matches("\\d+")
                        ? p.path("containerPort").asInt() == ref.asInt()
                        : p.path("name").asText().equals(ref.asText());
                if (hit) {
                    return p;
                }
            }
        }
        return null;
    }

    private static List<Integer> containerPorts(Doc w) {
        List<Integer> out = new ArrayList<>();
        containers(w).forEach(c -> c.path("ports").forEach(p -> out.add(p.path("containerPort").asInt())));
        return out;
    }

    private static String mountPath(JsonNode container, String volume) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("name").asText().equals(volume)) {
                return m.path("mountPath").asText();
            }
        }
        return fail("no volumeMount %s in %s", volume, container.path("name"));
    }

    private static JsonNode configFile(String configMap, String key) {
        String text = only("ConfigMap", configMap).node().path("data").path(key).asText();
        List<Doc> parsed;
        try {
            Path tmp = Files.createTempFile("configmap", ".yml");
            Files.writeString(tmp, text);
            parsed = Manifests.read(tmp);
            Files.delete(tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(parsed).as("%s/%s parses as one YAML mapping", configMap, key).hasSize(1);
        return parsed.get(0).node();
    }

    private static List<Integer> exposed(String dockerfile) {
        List<Integer> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^EXPOSE\\s+(.+)$").matcher(dockerfile);
        while (m.find()) {
            for (String p : m.group(1).trim().split("\\s+")) {
                out.add(Integer.parseInt(p.replace("/tcp", "")));
            }
        }
        return out;
    }

    /** Kubernetes quantities as used here: 500m, 2, 256Mi, 1Gi, 20G. */
    static BigDecimal quantity(String q) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(q);
        assertThat(m.matches()).as("quantity %s", q).isTrue();
        BigDecimal n = new BigDecimal(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        return switch (unit) {
            case "" -> n;
            case "m" -> n.movePointLeft(3);
            case "k" -> n.movePointRight(3);
            case "M" -> n.movePointRight(6);
            case "G" -> n.movePointRight(9);
            case "T" -> n.movePointRight(12);
            case "Ki" -> n.multiply(BigDecimal.valueOf(1L << 10));
            case "Mi" -> n.multiply(BigDecimal.valueOf(1L << 20));
            case "Gi" -> n.multiply(BigDecimal.valueOf(1L << 30));
            case "Ti" -> n.multiply(BigDecimal.valueOf(1L << 40));
            default -> throw new IllegalArgumentException(q);
        };
    }
}
