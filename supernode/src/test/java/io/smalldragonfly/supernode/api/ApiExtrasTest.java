package io.smalldragonfly.supernode.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 1.x extras and the less common request shapes, over HTTP. */
class ApiExtrasTest {

    @TempDir
    Path home;

    TestOrigin origin;
    Supernode sn;

    @BeforeEach
    void start() {
        origin = TestOrigin.start();
        sn = Supernode.start(SupernodeConfig.forTest(home));
    }

    @AfterEach
    void stop() {
        sn.close();
        origin.close();
    }

    String api(String path) {
        return "http://127.0.0.1:" + sn.apiPort() + path;
    }

    @Test
    void preheatWarmsTheCdnAndIsListedFollowedAndDeleted() {
        origin.generated("/img", 3_000_000);
        JsonNode created = Http.postJson(api("/preheats"), "{\"type\":\"file\",\"url\":\"" + origin.url("/img")
                + "?Signature=abc\",\"filter\":\"Signature\",\"headers\":{\"X-Token\":\"t\"}}");
        String id = created.get("ID").asText();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Http.getJson(api("/preheats/" + id)).get("status").asText().equals("SUCCESS"));
        assertThat(origin.requests()).allSatisfy(r -> assertThat(r.header("x-token")).isEqualTo("t"));
        JsonNode list = Http.getJson(api("/preheats"));
        assertThat(list).hasSize(1);
        String taskId = list.get(0).get("taskId").asText();
        JsonNode task = Http.getJson(api("/tasks/" + taskId));
        assertThat(task.get("cdnStatus").asText()).isEqualTo("SUCCESS");
        assertThat(task.get("taskUrl").asText()).isEqualTo(origin.url("/img"));
        assertThat(task.get("cachedBytes").asLong()).isEqualTo(3_000_000 + 5);

        // A client registering the filtered URL later finds it cached: no second fetch.
        JsonNode reg = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,"
                + "\"path\":\"/peer/file/c\",\"rawUrl\":\"" + origin.url("/img") + "?Signature=zzz\",\"taskUrl\":\""
                + origin.url("/img") + "\"}");
        assertThat(reg.get("data").get("taskId").asText()).isEqualTo(taskId);
        assertThat(origin.count("GET", "/img")).isEqualTo(1);

        assertThat(Http.send("DELETE", api("/preheats/" + id), Map.of(), null).statusCode()).isEqualTo(200);
        assertThat(Http.send("GET", api("/preheats/" + id), Map.of(), null).statusCode()).isEqualTo(404);
    }

    @Test
    void formEncodedRegistrationHeartbeatPeersAndNetwork() {
        origin.generated("/f", 1000);
        String form = "cid=c1&ip=127.0.0.1&port=40001&path=%2Fpeer%2Ffile%2Fc1&rawUrl="
                + URLEncoder.encode(origin.url("/f"), StandardCharsets.UTF_8) + "&headers=X-A%3A+1&headers=X-B%3A+2";
        JsonNode reg = Http.json(Http.send("POST", api("/peer/registry"),
                Map.of("Content-Type", "application/x-www-form-urlencoded"), form.getBytes(StandardCharsets.UTF_8)));
        assertThat(reg.get("code").asInt()).isEqualTo(200);
        assertThat(reg.get("data").get("fileLength").asLong()).isEqualTo(1000);
        assertThat(origin.requests().get(0).header("x-b")).isEqualTo("2");

        JsonNode hb = Http.postJson(api("/peer/heartbeat"), "{\"IP\":\"127.0.0.1\",\"cID\":\"c1\",\"port\":40001}");
        assertThat(hb.get("code").asInt()).isEqualTo(200);
        assertThat(hb.get("data").get("needRegister").asBoolean()).isFalse();
        JsonNode stranger = Http.postJson(api("/peer/heartbeat"), "{\"IP\":\"127.0.0.1\",\"cID\":\"zz\",\"port\":1}");
        assertThat(stranger.get("data").get("needRegister").asBoolean()).isTrue();

        assertThat(Http.getJson(api("/peers"))).singleElement().satisfies(p -> {
            assertThat(p.get("cid").asText()).isEqualTo("c1");
            assertThat(p.get("port").asInt()).isEqualTo(40001);
        });
        JsonNode net = Http.postJson(api("/peer/network"), "{\"urls\":[\"" + origin.url("/f") + "\"]}");
        assertThat(net.get("data").get("nodes")).singleElement()
                .satisfies(n -> assertThat(n.get("cid").asText()).isEqualTo("c1"));
        assertThat(Http.getJson(api("/version")).get("version").asText()).isNotBlank();

        // Which tasks this supernode owns (in a cluster, docs/cluster.md): /tasks and the metrics.
        String taskId = reg.get("data").get("taskId").asText();
        assertThat(Http.getJson(api("/tasks"))).singleElement().satisfies(t -> {
            assertThat(t.get("taskId").asText()).isEqualTo(taskId);
            assertThat(t.get("taskUrl").asText()).isEqualTo(origin.url("/f"));
            assertThat(t.get("peers").asInt()).isEqualTo(1);
        });
        String metrics = new String(Http.send("GET", api("/metrics"), Map.of(), null).body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("supernode_task_peers{task=\"" + taskId + "\"} 1.0");
    }

    @Test
    void sourceFailuresComeBackAsTheProtocolsCodesWithMessages() {
        origin.generated("/private", 10).requireHeader("Authorization", "x");
        JsonNode auth = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,"
                + "\"path\":\"/p\",\"rawUrl\":\"" + origin.url("/private") + "\"}");
        assertThat(auth.get("code").asInt()).isEqualTo(608);
        assertThat(auth.get("msg").asText()).contains("401");
        JsonNode missing = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,"
                + "\"path\":\"/p\",\"rawUrl\":\"" + origin.url("/nothing") + "\"}");
        assertThat(missing.get("code").asInt()).isEqualTo(607);
        assertThat(missing.get("msg").asText()).contains("404");
        JsonNode badPort = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,"
                + "\"path\":\"/p\",\"rawUrl\":\"http://127.0.0.1:99999/x\"}");
        assertThat(badPort.get("code").asInt()).isEqualTo(607);
        // Headers the JDK client refuses (Date, Host, ...) are dropped, not fatal: here the source is just missing.
        JsonNode forbiddenHeader = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\","
                + "\"port\":4000,\"path\":\"/p\",\"rawUrl\":\"" + origin.url("/x") + "\",\"headers\":[\"Date: now\"]}");
        assertThat(forbiddenHeader.get("code").asInt()).isEqualTo(607);
        assertThat(forbiddenHeader.get("msg").asText()).contains("404");
        var notHttp = Http.send("POST", api("/peer/registry"), Map.of("Content-Type", "application/json"),
                "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,\"path\":\"/p\",\"rawUrl\":\"file:///etc/passwd\"}"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(notHttp.statusCode()).isEqualTo(400);
        assertThat(Http.json(notHttp).get("msg").asText()).contains("expected an http:// or https:// URL");
    }

    @Test
    void aPollOnATaskWhoseCdnFetchFailedIsAnswered604() {
        origin.generated("/f", 1000).failAfter(0);
        // The fetch dies at once: polls are told 604 so the client goes elsewhere (back to source).
        JsonNode reg = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,"
                + "\"path\":\"/p\",\"rawUrl\":\"" + origin.url("/f") + "\"}");
        String taskId = reg.get("data").get("taskId").asText();
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.getJson(api("/peer/task?srcCid=c&taskId=" + taskId
                + "&status=700&result=502")).get("code").asInt() == 604);
    }

    @Test
    void cdnUploadsAreRateLimitedAndCountedInTheMetrics() {
        sn.close();
        sn = Supernode.start(SupernodeConfig.forTest(home).toBuilder().cdnUploadRate(4L << 20).build());
        origin.generated("/big", 12_000_000);
        JsonNode reg = Http.postJson(api("/peer/registry"), "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":4000,"
                + "\"path\":\"/p\",\"rawUrl\":\"" + origin.url("/big") + "\"}");
        String taskId = reg.get("data").get("taskId").asText();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                Http.getJson(api("/tasks/" + taskId)).get("cdnStatus").asText().equals("SUCCESS"));
        String pieces = "http://127.0.0.1:" + sn.downloadPort() + "/qtdown/" + taskId.substring(0, 3) + "/" + taskId;
        long start = System.nanoTime();
        for (int n = 0; n < 3; n++) {
            long from = (long) n * 4194304;
            var res = Http.send("GET", pieces, Map.of("Range", "bytes=" + from + "-" + (from + 4194303)), null);
            assertThat(res.statusCode()).isEqualTo(206);
        }
        // 12 MB at 4 MiB/s: the first second's bucket may be spent at once, the rest is paced.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1500));
        String metrics = new String(Http.send("GET", api("/metrics"), Map.of(), null).body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("supernode_cdn_upload_bytes_total 1.2000015E7")
                .contains("supernode_tasks 1.0").contains("supernode_peers 1.0");
    }

    /** The route table: unknown paths 404 with the list, a known path's other methods 405 with its own. */
    @Test
    void theRouteTableAnswersUnknownPathsAndMethods() {
        var unknown = Http.send("GET", api("/peer/nothing"), Map.of(), null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Http.json(unknown).get("msg").asText()).contains("/peer/registry", "/tasks/{id}", "/preheats/{id}");
        var put = Http.send("PUT", api("/preheats"), Map.of(), null);
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(Http.json(put).get("msg").asText()).contains("expected POST or GET");
        var getRegistry = Http.send("GET", api("/peer/registry"), Map.of(), null);
        assertThat(getRegistry.statusCode()).isEqualTo(405);
        assertThat(Http.json(getRegistry).get("msg").asText()).contains("expected POST");
        // an {id} route takes the rest of the path as its id
        assertThat(Http.send("GET", api("/tasks/not-a-task-id"), Map.of(), null).statusCode()).isEqualTo(400);
        assertThat(Http.send("GET", api("/tasks/" + "a".repeat(64)), Map.of(), null).statusCode()).isEqualTo(404);
        assertThat(Http.send("DELETE", api("/preheats/nope"), Map.of(), null).statusCode()).isEqualTo(404);
    }
}
