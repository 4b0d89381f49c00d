import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's origin (no dependency beyond the JDK): serves one file at /file on 127.0.0.1:PORT and
 * counts the body bytes it sends, readable at /sent. Run with the JDK's source launcher:
 * {@code java scripts/DemoOrigin.java PORT FILE}.
 */
public class DemoOrigin {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path file = Path.of(args[1]);
        AtomicLong sent = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/file", ex -> {
            long len = Files.size(file);
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, head ? -1 : len);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    sent.addAndGet(Files.copy(file, out));
                }
            }
            ex.close();
        });
        server.createContext("/sent", ex -> {
            byte[] b = Long.toString(sent.get()).getBytes();
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        System.out.println("origin listening on 127.0.0.1:" + port);
    }
}
