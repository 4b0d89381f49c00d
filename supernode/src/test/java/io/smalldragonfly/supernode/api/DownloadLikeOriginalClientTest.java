package io.smalldragonfly.supernode.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads through the API the way the original dfget 0.3 does: register, poll /peer/task
 * (reporting the piece just fetched), fetch each listed piece with a Range request from the CDN's
 * download port or from another client's upload server, check framing and md5, report
 * /peer/piece/suc, until 600; then check the file's md5 and how many pieces the CDN sent.
 */
class DownloadLikeOriginalClientTest {

    static final int SIZE = 30_000_000;

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

    /** One simulated client with its own upload server, serving the framed pieces it holds. */
    final class Client implements AutoCloseable {
        final String cid;
        final Map<Integer, byte[]> pieces = new ConcurrentHashMap<>();
        final HttpServer upload;
        int pieceSize;
        int fromCdn;
        int fromPeers;

        Client(String cid) throws Exception {
            this.cid = cid;
            upload = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            upload.createContext("/peer/file/", ex -> {
                String range = ex.getRequestHeaders().getFirst("Range");
                long start = Long.parseLong(range.substring(6, range.indexOf('-')));
                byte[] framed = pieces.get((int) (start / pieceSize));
                if (framed == null) {
                    ex.sendResponseHeaders(416, -1);
                } else {
                    ex.sendResponseHeaders(206, framed.length);
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(framed);
                    }
                }
                ex.close();
            });
            upload.start();
        }

        String download(String url) {
            String reg = "{\"superNodeIp\":\"127.0.0.1\",\"rawUrl\":\"" + url + "\",\"taskUrl\":\"" + url
                    + "\",\"cid\":\"" + cid + "\",\"ip\":\"127.0.0.1\",\"hostName\":\"vm\",\"port\":"
                    + upload.getAddress().getPort() + ",\"path\":\"/peer/file/" + cid + "\",\"version\":\"0.3.1\"}";
            JsonNode r = Http.postJson(api("/peer/registry"), reg);
            assertThat(r.get("code").asInt()).isEqualTo(200);
            String taskId = r.get("data").get("taskId").asText();
            pieceSize = r.get("data").get("pieceSize").asInt();
            String query = "dstCid=&range=&result=502&status=700";
            for (int polls = 0; polls < 10_000; polls++) {
                JsonNode a = Http.getJson(api("/peer/task?srcCid=" + cid + "&" + query + "&taskId=" + taskId));
                int code = a.get("code").asInt();
                if (code == 600) {
                    JsonNode d = a.get("data");
                    ByteArrayOutputStream file = new ByteArrayOutputStream();
                    long framed = 0;
                    for (byte[] p : new TreeMap<>(pieces).values()) {
                        file.write(p, 4, p.length - PieceFraming.OVERHEAD);
                        framed += p.length;
                    }
                    assertThat(d.get("fileLength").asLong()).isEqualTo(framed);
                    String md5 = Digests.md5Hex(file.toByteArray());
                    assertThat(md5).isEqualTo(d.get("md5").asText());
                    return md5;
                }
                if (code == 602) {
                    query = "dstCid=&range=&result=502&status=701";
                    continue;
                }
                assertThat(code).as(a.toString()).isEqualTo(601);
                for (JsonNode p : a.get("data")) {
                    int n = p.get("pieceNum").asInt();
                    if (pieces.containsKey(n)) {
                        continue; // the original client skips pieces it already has or runs
                    }
                    HttpResponse<byte[]> got = Http.send("GET", "http://" + p.get("peerIp").asText() + ":"
                            + p.get("peerPort").asText() + p.get("path").asText(),
                            Map.of("Range", "bytes=" + p.get("range").asText(), "pieceNum", String.valueOf(n),
                                    "pieceSize", String.valueOf(pieceSize), "User-Agent", "dfget/0.3.1"), null);
                    assertThat(got.statusCode()).isEqualTo(206);
                    byte[] framed = got.body();
                    String[] md5AndLength = p.get("pieceMd5").asText().split(":");
                    assertThat(framed).hasSize(Integer.parseInt(md5AndLength[1]));
                    assertThat(Digests.md5Hex(framed)).isEqualTo(md5AndLength[0]);
                    assertThat(Digests.sha256Hex(framed)).isEqualTo(p.get("pieceSha256").asText());
                    PieceFraming.verify(framed, framed.length, pieceSize);
                    pieces.put(n, framed);
                    if (p.get("cid").asText().startsWith("cdnnode:")) {
                        fromCdn++;
                    } else {
                        fromPeers++;
                    }
                    String dst = p.get("cid").asText();
                    JsonNode ack = Http.getJson(api("/peer/piece/suc?taskId=" + taskId + "&cid=" + cid + "&dstCid="
                            + dst + "&pieceRange=" + p.get("range").asText()));
                    assertThat(ack.get("code").asInt()).isEqualTo(200);
                    query = "dstCid=" + dst + "&range=" + p.get("range").asText() + "&result=503&status=701";
                }
            }
            throw new AssertionError(cid + " never finished");
        }

        @Override
        public void close() {
            upload.stop(0);
        }
    }

    @Test
    void oneClientDownloadsFromTheCdnWithTheRightMd5() throws Exception {
        String md5 = origin.generated("/f", SIZE).md5();
        try (Client c = new Client("127.0.0.1-1-1.0")) {
            assertThat(c.download(origin.url("/f"))).isEqualTo(md5);
            assertThat(c.fromCdn).isEqualTo(8);
        }
        assertThat(origin.bytesSent()).isEqualTo(SIZE);
        String metrics = new String(Http.send("GET", api("/metrics"), Map.of(), null).body(), StandardCharsets.UTF_8);
        assertThat(metrics).contains("supernode_cdn_source_bytes_total 3.0E7")
                .contains("supernode_pieces_scheduled_total{source=\"cdn\"} 8.0")
                .contains("supernode_cdn_upload_bytes_total 3.000004E7")
                .contains("supernode_request_duration_seconds_bucket{endpoint=\"/peer/task\"");
    }

    @Test
    void threeClientsAtOnceTakeEachPieceFromTheCdnAboutOnce() throws Exception {
        String md5 = origin.generated("/f", SIZE).md5();
        List<Client> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int i = 0; i < 3; i++) {
                clients.add(new Client("127.0.0.1-" + i + "-1.0"));
            }
            List<Future<String>> results = new ArrayList<>();
            for (Client c : clients) {
                results.add(pool.submit(() -> c.download(origin.url("/f"))));
            }
            for (Future<String> f : results) {
                assertThat(f.get()).isEqualTo(md5);
            }
            int cdn = clients.stream().mapToInt(c -> c.fromCdn).sum();
            int peers = clients.stream().mapToInt(c -> c.fromPeers).sum();
            assertThat(cdn + peers).isEqualTo(24);
            // The original sent 130 of 153 pieces from the CDN; we send each piece about once.
            assertThat(cdn).isBetween(8, 9);
            assertThat(origin.bytesSent()).isEqualTo(SIZE);
        } finally {
            pool.shutdownNow();
            clients.forEach(Client::close);
        }
    }

    private String api(String path) {
        return "http://127.0.0.1:" + sn.apiPort() + path;
    }

    static int header(byte[] framed) {
        return ByteBuffer.wrap(framed, 0, 4).getInt();
    }
}
