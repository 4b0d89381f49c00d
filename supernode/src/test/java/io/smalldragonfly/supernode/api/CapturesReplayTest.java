package io.smalldragonfly.supernode.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays every request the original dfget 0.3.1 made (captures/ in common's test resources)
 * against our supernode, with the captured headers and bodies, the source URL and task id swapped
 * for an in-test origin serving a 200 MB file, and checks each answer has the shape the original
 * supernode's answer had: same codes, same fields, same piece entry layout, and the 600's framed
 * length 209715455.
 */
class CapturesReplayTest {

    static final String CAPTURED_URL = "http://127.0.0.1:18080/file200m";
    static final String CAPTURED_TASK = "943602a4b973a0e5267d99fadda1423a61109a4f33dbc222086e8c96e20f7d64";
    static final int SIZE = 200 * 1024 * 1024;
    static final Pattern PIECE_MD5 = Pattern.compile("[0-9a-f]{32}:\\d+");

    @TempDir
    static Path home;

    static TestOrigin origin;
    static Supernode sn;
    static String url;
    static String taskId;
    static String md5;

    @BeforeAll
    static void start() {
        origin = TestOrigin.start();
        md5 = origin.generated("/file200m", SIZE).md5();
        sn = Supernode.start(SupernodeConfig.forTest(home));
        url = origin.url("/file200m");
        taskId = TaskId.compute(url, null, null).value();
    }

    @AfterAll
    static void stop() {
        sn.close();
        origin.close();
    }

    static List<JsonNode> capture(String name) throws Exception {
        try (InputStream in = CapturesReplayTest.class.getResourceAsStream("/captures/" + name)) {
            assertThat(in).as("capture %s on the test classpath (common's test-jar)", name).isNotNull();
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .filter(l -> !l.isBlank()).map(l -> Json.read(l, JsonNode.class)).toList();
        }
    }

    static String swap(String s) {
        return s.replace(CAPTURED_URL, url).replace(CAPTURED_TASK, taskId);
    }

    @ParameterizedTest
    @ValueSource(strings = {"original-dfget-0.3.1-one-client.jsonl", "original-dfget-0.3.1-three-clients.jsonl"})
    void originalClientsRequestsGetAnswersShapedLikeTheOriginals(String name) throws Exception {
        List<JsonNode> lines = capture(name);
        Set<String> registered = new HashSet<>();
        boolean cdnReady = false;
        int finished = 0;
        for (JsonNode line : lines) {
            String path = swap(line.get("path").asText());
            Map<String, String> headers = new LinkedHashMap<>();
            line.get("reqHeaders").fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
            String body = swap(line.get("reqBody").asText());
            if (!cdnReady && path.startsWith("/peer/task")) {
                // Replayed reports name pieces the original had cached: let our CDN catch up first.
                await().atMost(Duration.ofSeconds(60)).until(() ->
                        Http.getJson(api("/tasks/" + taskId)).get("cdnStatus").asText().equals("SUCCESS"));
                cdnReady = true;
            }
            HttpResponse<byte[]> res = Http.send(line.get("method").asText(), api(path), headers,
                    body.isEmpty() ? null : body.getBytes(StandardCharsets.UTF_8));
            assertThat(res.statusCode()).as("%s", path).isEqualTo(line.get("status").asInt());
            String captured = line.get("respBody").asText();
            if (path.equals("/_ping")) {
                assertThat(new String(res.body(), StandardCharsets.UTF_8)).isEqualTo(captured);
                continue;
            }
            JsonNode ours = Http.json(res);
            JsonNode theirs = Json.read(captured, JsonNode.class);
            if (path.startsWith("/peer/registry")) {
                assertThat(ours.get("code").asInt()).isEqualTo(200);
                assertThat(fieldNames(ours.get("data"))).containsAll(fieldNames(theirs.get("data")));
                assertThat(ours.get("data").get("taskId").asText()).isEqualTo(taskId);
                assertThat(ours.get("data").get("fileLength").asLong()).isEqualTo(theirs.get("data").get("fileLength").asLong());
                assertThat(ours.get("data").get("pieceSize").asInt()).isEqualTo(theirs.get("data").get("pieceSize").asInt());
                registered.add(Json.read(body, JsonNode.class).get("cid").asText());
            } else if (path.startsWith("/peer/task")) {
                int code = ours.get("code").asInt();
                assertThat(code).isIn(600, 601, 602);
                if (theirs.get("code").asInt() == 600) {
                    // By then every piece was reported: we finish exactly where the original did.
                    assertThat(code).isEqualTo(600);
                }
                if (code == 601) {
                    JsonNode template = theirs.get("code").asInt() == 601 ? theirs.get("data").get(0) : null;
                    for (JsonNode p : ours.get("data")) {
                        checkPiece(p, template, registered);
                    }
                } else if (code == 600) {
                    assertThat(fieldNames(ours.get("data"))).containsExactlyInAnyOrder("fileLength", "md5");
                    assertThat(ours.get("data").get("fileLength").asLong()).isEqualTo(209715455L)
                            .isEqualTo(theirs.get("data").get("fileLength").asLong());
                    assertThat(ours.get("data").get("md5").asText()).isEqualTo(md5);
                    finished++;
                } else {
                    assertThat(ours.get("msg").asText()).startsWith("client sucCount:");
                }
            } else {
                // piece/suc and service/down: the original's exact ack.
                assertThat(ours).isEqualTo(theirs);
            }
        }
        assertThat(finished).isEqualTo(lines.stream().filter(l -> l.get("respBody").asText().contains("\"code\":600")).count());
    }

    private static void checkPiece(JsonNode p, JsonNode template, Set<String> registered) {
        if (template != null) {
            Set<String> expected = new HashSet<>(fieldNames(template));
            expected.add("pieceSha256");
            assertThat(fieldNames(p)).containsExactlyInAnyOrderElementsOf(expected);
        }
        int pieceNum = p.get("pieceNum").asInt();
        int pieceSize = p.get("pieceSize").asInt();
        assertThat(pieceSize).isEqualTo(4194304);
        long start = (long) pieceNum * pieceSize;
        assertThat(p.get("range").asText()).isEqualTo(start + "-" + (start + pieceSize - 1));
        assertThat(p.get("pieceMd5").asText()).matches(PIECE_MD5);
        assertThat(p.get("pieceMd5").asText()).endsWith(pieceNum == 50 ? ":255" : ":4194304");
        assertThat(p.get("downLink").isInt()).isTrue();
        String cid = p.get("cid").asText();
        if (cid.startsWith("cdnnode:")) {
            assertThat(cid).isEqualTo("cdnnode:127.0.0.1~" + taskId);
            assertThat(p.get("peerIp").asText()).isEqualTo("127.0.0.1");
            assertThat(p.get("peerPort").asInt()).isEqualTo(sn.downloadPort());
            assertThat(p.get("path").asText()).isEqualTo("/qtdown/" + taskId.substring(0, 3) + "/" + taskId);
        } else {
            assertThat(registered).contains(cid);
            assertThat(p.get("path").asText()).startsWith("/peer/file/");
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    private static String api(String path) {
        return "http://127.0.0.1:" + sn.apiPort() + path;
    }
}
