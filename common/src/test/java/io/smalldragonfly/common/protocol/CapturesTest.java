package io.smalldragonfly.common.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smalldragonfly.common.task.TaskId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every request and answer the original dfget 0.3.1 and supernode exchanged (captures/ in the
 * test resources, copied from shared/design/captures) parses into our records, and writing the
 * records back gives the same JSON and query strings: our types are the wire's.
 */
class CapturesTest {

    record Exchange(String file, int line, JsonNode json) {
        String method() { return json.get("method").asText(); }
        String path() { return json.get("path").asText(); }
        String reqBody() { return json.get("reqBody").asText(); }
        String respBody() { return json.get("respBody").asText(); }
        @Override public String toString() { return file + ":" + line + " " + method() + " " + path().split("\\?")[0]; }
    }

    static Stream<Exchange> exchanges() throws IOException {
        List<Exchange> all = new ArrayList<>();
        for (String f : List.of("original-dfget-0.3.1-one-client.jsonl", "original-dfget-0.3.1-three-clients.jsonl")) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(
                    CapturesTest.class.getResourceAsStream("/captures/" + f), StandardCharsets.UTF_8))) {
                int n = 0;
                for (String line; (line = r.readLine()) != null; ) {
                    n++;
                    all.add(new Exchange(f, n, Json.mapper().readTree(line)));
                }
            }
        }
        assertThat(all).hasSize(83 + 252);
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("exchanges")
    void requestsRoundTrip(Exchange ex) throws IOException {
        String path = ex.path();
        String route = path.split("\\?")[0];
        String query = path.contains("?") ? path.substring(path.indexOf('?') + 1) : "";
        switch (route) {
            case "/peer/registry" -> {
                RegisterRequest req = Json.read(ex.reqBody(), RegisterRequest.class);
                assertThat(req.taskUrl()).isEqualTo("http://127.0.0.1:18080/file200m");
                assertThat(req.port()).isPositive();
                assertThat(req.path()).startsWith("/peer/file/");
                assertSubsetOf(Json.mapper().readTree(ex.reqBody()), Json.tree(req));
            }
            case "/peer/task" -> {
                PeerTaskRequest req = PeerTaskRequest.from(QueryParams.parse(query));
                assertThat(req.toQuery()).isEqualTo(query);
                if (req.status() == PeerTaskStatus.START) {
                    assertThat(req.finishedRange()).isNull();
                } else {
                    assertThat(req.finishedRange().length()).isEqualTo(4 * 1024 * 1024);
                }
            }
            case "/peer/piece/suc" -> {
                PieceSuccessReport rep = PieceSuccessReport.from(QueryParams.parse(query));
                assertThat(rep.toQuery()).isEqualTo(query);
                assertThat(rep.range().start() % (4 * 1024 * 1024)).isZero();
            }
            case "/peer/service/down" -> {
                ServiceDownReport rep = ServiceDownReport.from(QueryParams.parse(query));
                assertThat(rep.toQuery()).isEqualTo(query);
            }
            case "/_ping" -> assertThat(ex.respBody()).isEqualTo("ok");
            default -> throw new AssertionError("unexpected route in capture: " + route);
        }
    }

    @ParameterizedTest
    @MethodSource("exchanges")
    void answersRoundTrip(Exchange ex) throws IOException {
        if (!ex.respBody().startsWith("{")) {
            return;
        }
        ApiResponse res = Json.read(ex.respBody(), ApiResponse.class);
        switch (res.resultCode()) {
            case OK -> {
                if (ex.path().startsWith("/peer/registry")) {
                    RegisterResult r = res.data(RegisterResult.class);
                    assertThat(TaskId.isValid(r.taskId())).isTrue();
                    assertThat(r.fileLength()).isEqualTo(209715200L);
                    assertThat(r.pieceSize()).isEqualTo(4194304);
                } else {
                    assertThat(res.msg()).isEqualTo("success");
                }
            }
            case PEER_CONTINUE -> {
                List<PieceTask> pieces = res.data(new TypeReference<List<PieceTask>>() {});
                assertThat(pieces).isNotEmpty().allSatisfy(p -> {
                    assertThat(p.pieceSize()).isEqualTo(4194304);
                    assertThat(p.range()).isEqualTo(p.pieceNum() * 4194304L + "-" + ((p.pieceNum() + 1) * 4194304L - 1));
                    assertThat(p.md5()).hasSize(32);
                    assertThat(p.framedLength()).isIn(4194304L, 255L);
                    if (p.fromSupernode()) {
                        assertThat(p.path()).isEqualTo(CdnNode.path(p.cid().substring(p.cid().indexOf('~') + 1)));
                        assertThat(p.cid()).isEqualTo(CdnNode.cid(p.peerIp(), p.cid().substring(p.cid().indexOf('~') + 1)));
                    }
                });
            }
            case PEER_FINISH -> {
                TaskFinish f = res.data(TaskFinish.class);
                assertThat(f.fileLength()).isEqualTo(209715455L);
                assertThat(f.md5()).isEqualTo("7a474afcc84bea665c0342b38119fc64");
            }
            case PEER_WAIT -> assertThat(res.msg()).contains("cdn status");
            default -> throw new AssertionError("unexpected code " + res.code());
        }
        // Writing our envelope back gives the original's JSON (we add nothing it lacked).
        assertThat(Json.mapper().readTree(Json.write(res))).isEqualTo(Json.mapper().readTree(ex.respBody()));
    }

    /** Every field of {@code original} appears in {@code ours} with the same value. */
    private static void assertSubsetOf(JsonNode original, JsonNode ours) {
        ObjectNode o = (ObjectNode) original;
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            assertThat(ours.get(f)).as(f).isEqualTo(o.get(f));
        }
    }
}
