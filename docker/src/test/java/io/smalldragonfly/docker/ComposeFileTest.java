package io.smalldragonfly.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Static checks of docker/compose.yaml: host networking everywhere (the daemon here has no bridge),
 * our own images only, no two services on one port, each dfclient with its own home volume, and
 * dependencies that exist. The file is also run for real by hand (docs/deploy.md).
 */
class ComposeFileTest {

    private static JsonNode compose;

    @BeforeAll
    static void read() {
        List<Manifests.Doc> docs = Manifests.read(Manifests.root().resolve("docker/compose.yaml"));
        assertThat(docs).hasSize(1);
        compose = docs.get(0).node();
    }

    @Test
    void servicesAreASupernodeARegistryAndTwoDfclients() {
        List<String> names = new ArrayList<>();
        compose.path("services").fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrder("supernode", "registry", "dfclient01", "dfclient02");
        assertThat(compose.has("version")).as("Compose Specification: no version key").isFalse();
    }

    @Test
    void everyServiceUsesHostNetworkingAndALocalImage() {
        for (Map.Entry<String, JsonNode> s : services()) {
            assertThat(s.getValue().path("network_mode").asText()).as(s.getKey()).isEqualTo("host");
            assertThat(s.getValue().has("ports")).as("%s: ports make no sense with host networking", s.getKey()).isFalse();
            assertThat(s.getValue().path("image").asText()).as(s.getKey())
                    .matches("small-dragonfly/(supernode|dfclient|registry):latest");
        }
    }

    @Test
    void supernodeUsesTheSeedsArgumentAndListensOnLoopback() {
        JsonNode sn = compose.path("services").path("supernode");
        assertThat(sn.path("command").get(0).asText()).isEqualTo("-Dsupernode.advertiseIp=127.0.0.1");
        assertThat(sn.path("environment").path("SUPERNODE_BIND").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void dfclientsHaveTheirOwnPortsAndHomesAndPointAtTheSupernodeAndRegistry() {
        Set<String> ports = new HashSet<>();
        Set<String> homes = new HashSet<>();
        for (String name : List.of("dfclient01", "dfclient02")) {
            JsonNode c = compose.path("services").path(name);
            List<String> args = new ArrayList<>();
            c.path("command").forEach(a -> args.add(a.asText()));
            assertThat(args).contains("--port", "--registry", "--node");
            ports.add(args.get(args.indexOf("--port") + 1));
            assertThat(args.get(args.indexOf("--node") + 1)).isEqualTo("127.0.0.1:8002");
            assertThat(args.get(args.indexOf("--registry") + 1)).isEqualTo("http://127.0.0.1:5000");
            String home = c.path("volumes").get(0).asText();
            assertThat(home).endsWith(":/root/.small-dragonfly");
            homes.add(home);
            assertThat(c.path("depends_on").path("supernode").path("condition").asText()).isEqualTo("service_healthy");
            assertThat(c.path("container_name").asText()).isEqualTo(name);
        }
        assertThat(ports).hasSize(2).doesNotContain("8001", "8002", "5000");
        assertThat(homes).hasSize(2);
    }

    @Test
    void namedVolumesAreDeclared() {
        for (Map.Entry<String, JsonNode> s : services()) {
            for (JsonNode v : s.getValue().path("volumes")) {
                String name = v.asText().split(":")[0];
                assertThat(compose.path("volumes").has(name)).as("%s: volume %s declared", s.getKey(), name).isTrue();
            }
            s.getValue().path("depends_on").fieldNames()
                    .forEachRemaining(d -> assertThat(compose.path("services").has(d)).isTrue());
        }
    }

    private static List<Map.Entry<String, JsonNode>> services() {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        out.addAll(compose.path("services").properties());
        return out;
    }
}
