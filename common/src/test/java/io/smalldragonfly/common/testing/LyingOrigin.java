package io.smalldragonfly.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A source that lies in ways {@link TestOrigin} (a correct server) cannot: headers that do not
 * match the body it sends. One connection per request; the {@link Lie} writes the whole answer
 * from the request's Range header, then the connection closes.
 */
public final class LyingOrigin implements AutoCloseable {

    /** Writes the raw answer to a GET of {@code content} with the given Range (null without one). */
    @FunctionalInterface
    public interface Lie {
        void answer(String range, byte[] content, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "lying-origin");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger requests = new AtomicInteger();

    private LyingOrigin(byte[] content, Lie lie) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    pool.execute(() -> serve(s, content, lie));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public static LyingOrigin start(byte[] content, Lie lie) throws IOException {
        return new LyingOrigin(content, lie);
    }

    private void serve(Socket s, byte[] content, Lie lie) {
        try (s) {
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            for (int c; (c = in.read()) >= 0; ) {
                head.append((char) c);
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    break;
                }
            }
            requests.incrementAndGet();
            String range = null;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("range:")) {
                    range = line.substring(6).trim();
                }
            }
            OutputStream out = s.getOutputStream();
            lie.answer(range, content, out);
            out.flush();
        } catch (IOException e) {
            // the client gave up: nothing to do
        }
    }

    /** {@code [start, end]} of a {@code bytes=a-b} header, clipped to {@code length}; whole file without one. */
    public static long[] range(String header, long length) {
        if (header == null || !header.startsWith("bytes=")) {
            return new long[] {0, length - 1};
        }
        String[] p = header.substring(6).split("-", 2);
        long start = Long.parseLong(p[0]);
        long end = p.length > 1 && !p[1].isEmpty() ? Math.min(length - 1, Long.parseLong(p[1])) : length - 1;
        return new long[] {start, end};
    }

    public static void head(OutputStream out, String status, String... headers) throws IOException {
        StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append("\r\nConnection: close\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        out.write(sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    public int requests() {
        return requests.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
