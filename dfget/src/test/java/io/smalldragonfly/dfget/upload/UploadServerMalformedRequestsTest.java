package io.smalldragonfly.dfget.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.testing.MalformedHttp;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.store.PieceMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dfget's upload server over real sockets: 10,000 generated malformed requests (the generic ones
 * of {@link MalformedHttp} plus wrong ranges, piece headers and names of its own), no 5xx and no
 * connection closed without an answer, slow clients do not starve others, fds flat; and no
 * traversal, plain or encoded, ever answers with a file outside the data directory.
 */
class UploadServerMalformedRequestsTest {

    static final int REQUESTS = 10_000;
    static final int PIECE = 1024 * 1024;
    static final String NAME = "file.bin-42-1.000";

    @TempDir
    Path home;

    @Test
    void tenThousandMalformedRequestsGetNo5xxAndNothingOutsideTheDataDir() throws Exception {
        DataDir dd = new DataDir(home.resolve("data"));
        Files.createDirectories(dd.dir());
        Files.write(dd.content(NAME), new byte[PIECE]);
        try (PieceMap map = PieceMap.openForWrite(dd.pieces(NAME), PIECE, PIECE - 5)) {
            map.mark(0, PIECE - 5);
        }
        Files.writeString(home.resolve("secret"), "top secret");
        // maxUploads high: the cap's 503 is a deliberate answer, not what this test looks for
        try (UploadServer server = UploadServer.start(new UploadServer.Config(home, "127.0.0.1", 0, 0, 1000,
                Duration.ofHours(1)))) {
            String piece = "/peer/file/" + NAME;
            Supplier<MalformedHttp.Raw> generic = MalformedHttp.generic(new Random(11),
                    List.of(piece, "/peer/file/", "/server/ping", "/check/" + NAME, "/"));
            Random rnd = new Random(12);
            List<MalformedHttp.Raw> requests = new ArrayList<>();
            while (requests.size() < REQUESTS) {
                requests.add(generic.get());
                requests.add(switch (rnd.nextInt(4)) {
                    case 0 -> MalformedHttp.Raw.of("range", "GET " + piece + " HTTP/1.1\r\nHost: x\r\nRange: "
                            + MalformedHttp.pick(rnd, "bytes=abc", "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=-0",
                            "bytes=99999999999999999999-", "bytes=0-" + (PIECE - 1), "bytes=" + PIECE + "-" + (2 * PIECE - 1),
                            "bytes=0-99", "") + "\r\npieceNum: " + MalformedHttp.pick(rnd, "0", "x", "-1", "")
                            + "\r\npieceSize: " + MalformedHttp.pick(rnd, "1048576", "0", "abc", "99999999999") + "\r\n\r\n");
                    case 1 -> MalformedHttp.get("name", "/peer/file/" + MalformedHttp.pick(rnd, NAME + ".pieces", NAME + ".meta",
                            ".", "..", "%2e%2e", "a".repeat(300), "%00", "nul%00" + NAME, "\u00e9t\u00e9", NAME + "/x"));
                    case 2 -> MalformedHttp.get("check", "/check/" + MalformedHttp.pick(rnd, "", "..", "%ZZ", "x?y=%", NAME));
                    default -> MalformedHttp.post("control", MalformedHttp.pick(rnd, "/server/ping", "/check/" + NAME,
                            "/rate/x?totallimit=abc&locallimit=-1"), "application/json", MalformedHttp.pick(rnd, "{", "[]", "\u0000", "{\"a\":"));
                });
            }
            MalformedHttp.send(server.port(), MalformedHttp.get("warm-up", "/server/ping"));
            MalformedHttp.Result result = MalformedHttp.runWithFlatFds(server.port(), requests, 4, 10);
            assertThat(result.failures()).as("statuses %s", result.statuses()).isEmpty();
            assertThat(result.answered()).isGreaterThanOrEqualTo(REQUESTS);
            assertThat(result.statuses().keySet()).contains(206, 400, 404, 416);

            for (String target : List.of("/peer/file/../secret", "/peer/file/..%2fsecret", "/peer/file/%2e%2e%2fsecret",
                    "/peer/file/%2e%2e/secret", "/peer/file/..%5csecret", "/peer/file/%252e%252e%252fsecret",
                    "/peer/file/data/../../secret", "/peer/file/%2fetc%2fpasswd", "/peer/file/..%c0%afsecret",
                    "/peer/file/%u002e%u002e%u002fsecret", "/check/../secret", "/check/..%2f..%2fsecret")) {
                int status = MalformedHttp.send(server.port(), MalformedHttp.Raw.of("traversal", "GET " + target
                        + " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-" + (PIECE - 1) + "\r\n\r\n"))[0];
                assertThat(status).as(target).isBetween(400, 499);
            }
            MalformedHttp.slowloris(server.port(), 200, () -> assertThat(MalformedHttp.send(server.port(),
                    MalformedHttp.get("during slowloris", "/server/ping"))[0]).isEqualTo(200));
        }
    }
}
