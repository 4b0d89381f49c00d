package io.smalldragonfly.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared API server over a real socket: ephemeral port, body limit, port conflicts. */
class NettyServerTest {

    private NettyServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        server = NettyServer.start("test-api", "127.0.0.1", 0, 1, new ApiServerInitializer(
                req -> CompletableFuture.completedFuture(Response.text(200, "got " + req.body().length)), 30));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void servesOnAnEphemeralPort() throws Exception {
        HttpResponse<String> res = client.send(HttpRequest.newBuilder(uri("/x"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1000])).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(server.port()).isPositive();
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("got 1000");
    }

    @Test
    void bodiesOverOneMebibyteAreRefusedWith413() throws Exception {
        HttpResponse<String> res = client.send(HttpRequest.newBuilder(uri("/x"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[ApiServerInitializer.MAX_BODY_BYTES + 1])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(413);
        // and the server keeps serving
        assertThat(client.send(HttpRequest.newBuilder(uri("/y")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
    }

    @Test
    void aTakenPortIsAClearError() {
        assertThatThrownBy(() -> NettyServer.start("dup", "127.0.0.1", server.port(), 1,
                new ApiServerInitializer(req -> null, 30)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot listen on 127.0.0.1:" + server.port());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
