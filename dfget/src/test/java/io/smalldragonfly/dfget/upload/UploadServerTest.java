package io.smalldragonfly.dfget.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.common.http.ApiServerInitializer;
import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.http.Response;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.dfget.store.DataDir;
import io.smalldragonfly.dfget.store.PieceMap;
import io.smalldragonfly.dfget.store.TaskMeta;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upload server over real sockets: pieces, expiry with service/down, reuse across "processes". */
class UploadServerTest {

    @TempDir
    Path home;

    @Test
    void expiredFilesAreDroppedAndTheirSupernodeIsTold() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        NettyServer fakeSupernode = NettyServer.start("fake-sn", "127.0.0.1", 0, 1, new ApiServerInitializer(r -> {
            calls.add(r.path() + "?taskId=" + r.query().optional("taskId") + "&cid=" + r.query().optional("cid"));
            return CompletableFuture.completedFuture(Response.api(ApiResponse.success()));
        }, 30));
        DataDir dd = new DataDir(home.resolve("data"));
        Files.createDirectories(dd.dir());
        Files.write(dd.content("t1"), new byte[100]);
        try (PieceMap m = PieceMap.openForWrite(dd.pieces("t1"), 1 << 20, 100)) {
            m.mark(0, 100);
        }
        String taskId = "a".repeat(64);
        new TaskMeta(taskId, "peer-1", "127.0.0.1:" + fakeSupernode.port(), "http://x/f").write(dd.meta("t1"));
        try (UploadServer server = UploadServer.start(new UploadServer.Config(home, "127.0.0.1", 0, 0, 4,
                Duration.ofMillis(600)))) {
            assertThat(status(server.port(), "/peer/file/t1", "bytes=0-1048575")).isEqualTo(206);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dd.content("t1")));
            assertThat(dd.pieces("t1")).doesNotExist();
            assertThat(dd.meta("t1")).doesNotExist();
            assertThat(calls).containsExactly("/peer/service/down?taskId=" + taskId + "&cid=peer-1");
            assertThat(status(server.port(), "/peer/file/t1", "bytes=0-1048575")).isEqualTo(404);
        } finally {
            fakeSupernode.close();
        }
    }

    @Test
    void pingSaysWhoseServerItIs() throws Exception {
        try (UploadServer server = UploadServer.start(UploadServer.Config.of(home))) {
            assertThat(UploadServerClient.ping(server.port(), home)).isTrue();
            assertThat(UploadServerClient.ping(server.port(), home.resolve("other"))).isFalse();
        }
    }

    private static int status(int port, String path, String range) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL("http", "127.0.0.1", port, path).openConnection();
        c.setRequestProperty("Range", range);
        int s = c.getResponseCode();
        c.disconnect();
        return s;
    }
}
