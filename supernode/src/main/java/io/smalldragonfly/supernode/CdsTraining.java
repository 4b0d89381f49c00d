package io.smalldragonfly.supernode;

import com.sun.net.httpserver.HttpServer;
import io.smalldragonfly.common.Version;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PieceSuccessReport;
import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.protocol.RegisterRequest;
import io.smalldragonfly.common.protocol.RegisterResult;
import io.smalldragonfly.common.protocol.ResultCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The build's training run for the supernode's class-data-sharing archive (bin/supernode uses
 * {@code supernode/target/supernode.jsa} when present; see docs/performance.md): an in-process
 * supernode registers a peer for a file of an in-process origin, caches it, schedules it and serves
 * a piece, so the archive holds the classes of a first registration (Netty, Jackson, the
 * scheduler, the CDN, the JDK's HTTP client, the digests). Not used at run time; touches nothing
 * outside a temp directory.
 */
public final class CdsTraining {

    private CdsTraining() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("supernode-cds");
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        try (Supernode sn = Supernode.start(SupernodeConfig.forTest(dir.resolve("home")))) {
            run(origin, sn);
        } finally {
            origin.stop(0);
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0);
    }

    private static void run(HttpServer origin, Supernode sn) throws Exception {
        byte[] file = new byte[3 * 1024 * 1024 + 1000];
        new Random(1).nextBytes(file);
        origin.createContext("/file", x -> {
            x.getRequestBody().readAllBytes();
            x.getResponseHeaders().set("Accept-Ranges", "bytes");
            if (x.getRequestMethod().equals("HEAD")) {
                x.getResponseHeaders().set("Content-Length", Integer.toString(file.length));
                x.sendResponseHeaders(200, -1);
                x.close();
                return;
            }
            x.sendResponseHeaders(200, file.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(file);
            }
        });
        origin.start();
        String url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/file";
        String api = "http://127.0.0.1:" + sn.apiPort();
        String cid = "127.0.0.1-1-training";
        ApiResponse reg = call("POST", api + "/peer/registry", Json.write(new RegisterRequest(cid, "127.0.0.1",
                "training", "127.0.0.1", 1, "/peer/file/training", "training", Version.CURRENT, false, url, url,
                null, null, List.of(), false, List.of())));
        if (reg.resultCode() != ResultCode.OK) {
            throw new IOException("training registration: " + reg.code() + " " + reg.msg());
        }
        String taskId = reg.data(RegisterResult.class).taskId();
        PeerTaskRequest poll = PeerTaskRequest.first(cid, taskId);
        for (int i = 0; i < 100; i++) {
            ApiResponse r = call("GET", api + "/peer/task?" + poll.toQuery(), null);
            if (r.resultCode() == ResultCode.PEER_CONTINUE) {
                PieceTask t = r.data(PieceTask[].class)[0];
                HttpURLConnection c = (HttpURLConnection) new URL("http", t.peerIp(), t.peerPort(), t.path())
                        .openConnection();
                c.setRequestProperty("Range", "bytes=" + t.range());
                c.setRequestProperty("pieceNum", Integer.toString(t.pieceNum()));
                c.setRequestProperty("pieceSize", Integer.toString(t.pieceSize()));
                try (InputStream in = c.getInputStream()) {
                    in.readAllBytes();
                }
                call("GET", api + "/peer/piece/suc?"
                        + new PieceSuccessReport(taskId, cid, t.cid(), t.range()).toQuery(), null);
                return;
            }
            Thread.sleep(20);
        }
        throw new IOException("training: no piece scheduled");
    }

    private static ApiResponse call(String method, String url, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json;charset=utf-8");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        try (InputStream in = c.getInputStream()) {
            return Json.read(in.readAllBytes(), ApiResponse.class);
        }
    }
}
