package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.testing.RawHttp;
import io.smalldragonfly.dfdaemon.testing.SwitchableFetcher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keep-alive to the registry: requests reuse an upstream connection, and a reused connection the
 * server drops without answering is retried on a fresh one (for requests without a body).
 */
class UpstreamReuseTest {

    @TempDir
    Path home;

    /**
     * A minimal HTTP/1.1 origin over raw sockets. It records, per request, the number of the
     * connection it came on; the first connection answers its first request and then drops the
     * connection on the next request without answering, as a server whose idle timeout struck.
     */
    static final class Origin implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final ExecutorService threads = Executors.newCachedThreadPool();
        final AtomicInteger connections = new AtomicInteger();
        final List<Integer> requestConnections = new CopyOnWriteArrayList<>();
        final boolean dropSecondOnFirst;

        Origin(boolean dropSecondOnFirst) throws IOException {
            this.dropSecondOnFirst = dropSecondOnFirst;
            threads.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        int n = connections.incrementAndGet();
                        threads.execute(() -> serve(s, n));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void serve(Socket s, int connection) {
            try (s) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                for (int served = 0; ; served++) {
                    String line = in.readLine();
                    if (line == null) {
                        return;
                    }
                    boolean head = line.startsWith("HEAD ");
                    while (!in.readLine().isEmpty()) {
                        // headers; requests here have no body
                    }
                    if (dropSecondOnFirst && connection == 1 && served == 1) {
                        return;
                    }
                    requestConnections.add(connection);
                    byte[] body = ("conn " + connection).getBytes(StandardCharsets.ISO_8859_1);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    if (!head) {
                        out.write(body);
                    }
                    out.flush();
                }
            } catch (IOException | NullPointerException e) {
                // client went away
            }
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }

    @Test
    void requestsOnOneClientConnectionShareOneUpstreamConnection() throws IOException {
        try (Origin origin = new Origin(false);
             DfdaemonServer dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(origin.uri(), home),
                     direct -> new SwitchableFetcher());
             RawHttp c = new RawHttp(dfdaemon.port())) {
            for (int i = 0; i < 4; i++) {
                assertThat(c.send(i % 2 == 0 ? "GET" : "HEAD", "/v2/").response(i % 2 == 1).status()).isEqualTo(200);
            }
            assertThat(origin.requestConnections).containsExactly(1, 1, 1, 1);
        }
    }

    @Test
    void aReusedConnectionDroppedByTheServerIsRetriedOnANewOne() throws IOException {
        try (Origin origin = new Origin(true);
             DfdaemonServer dfdaemon = DfdaemonServer.start(DfdaemonConfig.forRegistry(origin.uri(), home),
                     direct -> new SwitchableFetcher());
             RawHttp c = new RawHttp(dfdaemon.port())) {
            assertThat(c.send("GET", "/v2/").response(false).text()).isEqualTo("conn 1");
            RawHttp.Response second = c.send("GET", "/v2/library/x/manifests/v1").response(false);
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.text()).isEqualTo("conn 2");
            assertThat(origin.connections.get()).isEqualTo(2);
        }
    }
}
