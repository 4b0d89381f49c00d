package io.smalldragonfly.supernode.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.MalformedHttp;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends 10,000 generated malformed requests over real sockets to each port (the API and the CDN
 * port): missing and wrong-typed parameters, broken JSON, oversized bodies, unknown tasks and
 * peers, impossible ranges, non-http URLs, bad methods, plus {@link MalformedHttp}'s generic ones
 * (bad escapes, NUL, huge lines and headers, HTTP/0.9, broken framing, garbage, pipelining). Every
 * one must get an answer below 500; slow clients must not starve others; fds stay flat, and the
 * server still answers {@code /_ping} afterwards.
 */
class MalformedRequestsTest {

    /** Per port: the API and the CDN port each get this many. */
    static final int REQUESTS = 10_000;

    @TempDir
    Path home;

    @Test
    void tenThousandMalformedRequestsOnEachPortGetNo5xxAndTheServerStaysUp() throws Exception {
        try (TestOrigin origin = TestOrigin.start()) {
            origin.generated("/f", 100_000);
            Supernode sn = Supernode.start(SupernodeConfig.forTest(home).toBuilder()
                    .waitTimeout(java.time.Duration.ZERO).build());
            try {
                // One real task and peer, so that requests can be wrong about them in detail.
                String url = origin.url("/f");
                var reg = Http.postJson("http://127.0.0.1:" + sn.apiPort() + "/peer/registry",
                        "{\"cid\":\"good\",\"ip\":\"127.0.0.1\",\"port\":40000,\"path\":\"/peer/file/g\",\"rawUrl\":\""
                                + url + "\",\"taskUrl\":\"" + url + "\"}");
                String taskId = reg.get("data").get("taskId").asText();
                Generator gen = new Generator(new Random(42), taskId, url);
                String piecePath = "/qtdown/" + taskId.substring(0, 3) + "/" + taskId;
                var apiGeneric = MalformedHttp.generic(new Random(7), List.of("/peer/task", "/peer/registry", "/_ping",
                        "/metrics", "/tasks/" + taskId, "/preheats", "/version"));
                var cdnGeneric = MalformedHttp.generic(new Random(8), List.of(piecePath, "/qtdown/", "/", "/_ping"));
                List<MalformedHttp.Raw> api = new ArrayList<>();
                List<MalformedHttp.Raw> cdn = new ArrayList<>();
                while (api.size() < REQUESTS || cdn.size() < REQUESTS) {
                    Raw r = gen.next();
                    List<MalformedHttp.Raw> to = r.download ? cdn : api;
                    if (to.size() < REQUESTS) {
                        to.add(new MalformedHttp.Raw("supernode", r.head(), r.body(), 1, r.bodyAfterAnswer()));
                    }
                    if (api.size() < REQUESTS) {
                        api.add(apiGeneric.get());
                    }
                    if (cdn.size() < REQUESTS) {
                        cdn.add(cdnGeneric.get());
                    }
                }
                MalformedHttp.send(sn.apiPort(), MalformedHttp.get("warm-up", "/_ping"));
                MalformedHttp.Result apiResult = MalformedHttp.runWithFlatFds(sn.apiPort(), api, 4, 10);
                MalformedHttp.Result cdnResult = MalformedHttp.runWithFlatFds(sn.downloadPort(), cdn, 4, 10);
                assertThat(apiResult.failures()).as("API statuses %s", apiResult.statuses()).isEmpty();
                assertThat(cdnResult.failures()).as("CDN statuses %s", cdnResult.statuses()).isEmpty();
                assertThat(apiResult.answered()).isGreaterThanOrEqualTo(REQUESTS);
                assertThat(cdnResult.answered()).isGreaterThanOrEqualTo(REQUESTS);
                assertThat(apiResult.statuses().keySet()).contains(400, 404, 405, 413);
                assertThat(cdnResult.statuses().keySet()).contains(400, 404, 405, 416);
                // Slow clients that never finish a request hold a connection each, not a thread.
                MalformedHttp.slowloris(sn.apiPort(), 200, () -> assertThat(ping(sn)).isEqualTo("ok"));
                MalformedHttp.slowloris(sn.downloadPort(), 200, () -> assertThat(MalformedHttp.send(sn.downloadPort(),
                        MalformedHttp.get("during slowloris", piecePath))[0]).isEqualTo(200));
                assertThat(ping(sn)).isEqualTo("ok");
            } finally {
                sn.close();
            }
        }
    }

    private static String ping(Supernode sn) {
        try {
            return new String(Http.send("GET", "http://127.0.0.1:" + sn.apiPort() + "/_ping", Map.of(), null).body(),
                    StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new AssertionError("no /_ping answer: " + e, e);
        }
    }

    /** A request as bytes: head (request line and headers) and body; {@code bodyAfterAnswer} for oversized ones. */
    record Raw(boolean download, byte[] head, byte[] body, boolean bodyAfterAnswer) {
        String describe() {
            String h = new String(head, StandardCharsets.ISO_8859_1);
            return (download ? "download " : "api ") + h.substring(0, Math.min(200, h.length())).replace("\r\n", " | ");
        }
    }

    /** Generates malformed requests of many kinds, deterministically from a seed. */
    static final class Generator {
        private final Random rnd;
        private final String taskId;
        private final String url;

        Generator(Random rnd, String taskId, String url) {
            this.rnd = rnd;
            this.taskId = taskId;
            this.url = url;
        }

        Raw next() {
            return switch (rnd.nextInt(16)) {
                case 0 -> get(pick("/peer/task", "/peer/piece/suc", "/peer/piece/error", "/peer/service/down")
                        + "?" + randomQuery());
                case 1 -> get("/peer/task?srcCid=" + pick("good", "ghost", "") + "&taskId=" + pick(taskId, "zz", "",
                        "a".repeat(64), taskId + "0") + "&status=" + pick("700", "701", "x", "", "999", "-1")
                        + "&result=" + pick("500", "503", "abc", "", "2147483648") + "&range=" + badRange()
                        + "&dstCid=" + pick("", "cdnnode:1~2", "ghost"));
                case 2 -> get("/peer/piece/suc?taskId=" + pick(taskId, "nope", "") + "&cid=" + pick("good", "ghost", "")
                        + "&pieceRange=" + badRange() + "&dstCid=x");
                case 3 -> get("/peer/piece/error?taskId=" + pick(taskId, "bad") + "&range=" + badRange() + "&srcCid="
                        + pick("good", "ghost") + "&dstCid=x&errorType=" + pick("FILE_NOT_EXIST", "BOGUS", "", "FILE_MD5_NOT_MATCH"));
                case 4 -> get("/peer/service/down?taskId=" + pick(taskId, "bad", "") + "&cid=" + pick("ghost", ""));
                case 5 -> post("/peer/registry", pick("application/json", "application/json;charset=utf-8", "text/plain", ""),
                        brokenRegistration());
                case 6 -> post("/peer/registry", "application/x-www-form-urlencoded",
                        "cid=x&ip=" + pick("1.2.3.4", "", "evil host") + "&port=" + pick("abc", "0", "70000", "", "-5")
                                + "&rawUrl=" + pick("file:///etc/passwd", "gopher://x", "", "http://", "%zz") + "&path=/p");
                case 7 -> post(pick("/peer/heartbeat", "/peer/network", "/preheats"), "application/json",
                        pick("{", "[]", "null", "{\"IP\":1,\"cID\":[],\"port\":\"x\"}", "{\"urls\":\"notalist\"}",
                                "{\"url\":\"ftp://x\"}", "{\"url\":5}", "{\"type\":\"weird\",\"url\":\"" + url + "\"}", "\u0000\u0001"));
                case 8 -> oversized();
                case 9 -> new Raw(false, (pick("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE") + " "
                        + pick("/peer/registry", "/peer/task", "/_ping", "/metrics", "/tasks/" + taskId, "/preheats")
                        + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1), new byte[0], false);
                case 10 -> get(pick("/tasks/" + pick("../../etc/passwd", "ABC", "a".repeat(64), taskId.toUpperCase()),
                        "/preheats/nope", "/nope", "/peer", "/peer/task/../registry", "/%2e%2e/%2e%2e", "/tasks/")
                        + (rnd.nextBoolean() ? "?%zz=1&a=%" : ""));
                case 11 -> garbage();
                case 12 -> download("/qtdown/" + taskId.substring(0, 3) + "/" + taskId, pick("bytes=999999999-",
                        "bytes=5-1", "bytes=abc", "bytes=0-1,5-6", "items=0-1", "bytes=-0", "bytes=99999999999999999999-"));
                case 13 -> download(pick("/qtdown/../../etc/passwd", "/qtdown/abc/" + "b".repeat(64), "/qtdown/aaa/" + taskId,
                        "/qtdown/" + taskId.substring(0, 3) + "/" + taskId + "/../x", "/", "/qtdown/"), "bytes=0-10");
                case 14 -> new Raw(true, ("POST /qtdown/" + taskId.substring(0, 3) + "/" + taskId
                        + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1), "abc".getBytes(StandardCharsets.ISO_8859_1), false);
                default -> get("/peer/task?" + pick("srcCid", "taskId", "status") + "=" + pick("%", "%G1", "x%2", "%00"));
            };
        }

        private String brokenRegistration() {
            return pick("", "{", "{\"cid\":", "[1,2]", "\"str\"", "{\"port\":\"50516\",\"cid\":\"c\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":1.5,\"path\":\"/p\",\"rawUrl\":\"" + url + "\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"file:///etc/passwd\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"" + url
                            + "\",\"md5\":\"nothex\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"" + url
                            + "\",\"headers\":[\"no colon\"]}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"" + url
                            + "\",\"headers\":\"notalist\"}",
                    "{\"cid\":\"c\",\"ip\":\"::1\",\"port\":99999,\"path\":\"p\",\"rawUrl\":\"" + url + "\"}",
                    "{\"cid\":" + "[".repeat(2000) + "}",
                    "{\"cid\":\"" + "x".repeat(5000) + "\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"http://127.0.0.1:99999/x\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"http://u:p@[::1]:0/x\"}",
                    "{\"cid\":\"c\",\"ip\":\"127.0.0.1\",\"port\":5000,\"path\":\"/p\",\"rawUrl\":\"" + url
                            + "\",\"headers\":[\"Date: x\",\"Host: evil\",\"Content-Length: 5\"]}");
        }

        private String badRange() {
            return pick("", "abc", "5-1", "-", "1-2", "0-4194303", "4194304-8388607", "99999999999999999999-1",
                    "-5", "0-", "8388608000-8392802303");
        }

        private String randomQuery() {
            StringBuilder sb = new StringBuilder();
            int n = rnd.nextInt(6);
            for (int i = 0; i < n; i++) {
                sb.append(pick("srcCid", "taskId", "cid", "range", "status", "result", "pieceRange", "x"))
                        .append('=').append(pick("", "1", "a", taskId, "%41", "700")).append('&');
            }
            return sb.toString();
        }

        private Raw oversized() {
            int size = 1024 * 1024 + 1 + rnd.nextInt(1024);
            String head = "POST " + pick("/peer/registry", "/peer/heartbeat", "/preheats")
                    + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + size + "\r\n\r\n";
            return new Raw(false, head.getBytes(StandardCharsets.ISO_8859_1), new byte[size], true);
        }

        private Raw garbage() {
            byte[] b = new byte[1 + rnd.nextInt(200)];
            rnd.nextBytes(b);
            String prefix = pick("", "GET ", "GET / HTTP/1.1\r\nHost", "GET /_ping HTTP/9.9\r\n\r\n",
                    "GET /_ping HTTP/1.1\r\n" + "X: y\r\n".repeat(3000) + "\r\n");
            byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[p.length + b.length + 4];
            System.arraycopy(p, 0, all, 0, p.length);
            System.arraycopy(b, 0, all, p.length, b.length);
            System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0, all, p.length + b.length, 4);
            return new Raw(rnd.nextInt(4) == 0, all, new byte[0], false);
        }

        private Raw get(String target) {
            return new Raw(false, ("GET " + target + " HTTP/1.1\r\nHost: x\r\nUser-Agent: fasthttp\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8), new byte[0], false);
        }

        private Raw download(String target, String range) {
            return new Raw(true, ("GET " + target + " HTTP/1.1\r\nHost: x\r\nRange: " + range
                    + "\r\n\r\n").getBytes(StandardCharsets.UTF_8), new byte[0], false);
        }

        private Raw post(String target, String type, String body) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            return new Raw(false, ("POST " + target + " HTTP/1.1\r\nHost: x\r\n"
                    + (type.isEmpty() ? "" : "Content-Type: " + type + "\r\n") + "Content-Length: " + b.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8), b, false);
        }

        @SafeVarargs
        private <T> T pick(T... options) {
            return options[rnd.nextInt(options.length)];
        }
    }
}
