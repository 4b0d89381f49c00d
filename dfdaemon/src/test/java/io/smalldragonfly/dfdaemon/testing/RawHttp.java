package io.smalldragonfly.dfdaemon.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, so tests control every header byte (JDK clients refuse to send
 * Connection, Host or Proxy-* headers) and see exactly what came back, including a body cut short.
 */
public final class RawHttp implements AutoCloseable {

    /** A response as read: {@code complete} is false when the connection closed before the body's end. */
    public record Response(int status, Map<String, List<String>> headers, byte[] body, boolean complete) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : String.join(", ", v);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        in = new java.io.BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** One request and its response on a fresh connection. */
    public static Response exchange(int port, String method, String target, String... headers) throws IOException {
        try (RawHttp c = new RawHttp(port)) {
            return c.send(method, target, headers).response(method.equals("HEAD"));
        }
    }

    /** Sends a request with {@code headers} as {@code Name: value} strings (Host defaults to 127.0.0.1). */
    public RawHttp send(String method, String target, String... headers) throws IOException {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        boolean host = false;
        for (String h : headers) {
            host |= h.regionMatches(true, 0, "Host:", 0, 5);
            sb.append(h).append("\r\n");
        }
        if (!host) {
            sb.append("Host: 127.0.0.1\r\n");
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    public OutputStream output() {
        return out;
    }

    public InputStream input() {
        return in;
    }

    public Response response(boolean head) throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("connection closed before a status line");
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String l; (l = line()) != null && !l.isEmpty(); ) {
            int c = l.indexOf(':');
            headers.computeIfAbsent(l.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(l.substring(c + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean complete = true;
        String te = headers.containsKey("transfer-encoding") ? String.join(",", headers.get("transfer-encoding")) : "";
        if (head || code == 204 || code == 304 || code / 100 == 1 || (code == 200 && status.contains("Connection Established"))) {
            return new Response(code, headers, new byte[0], true);
        }
        if (te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String size = line();
                if (size == null) {
                    complete = false;
                    break;
                }
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    while (true) {
                        String trailer = line();
                        if (trailer == null || trailer.isEmpty()) {
                            break;
                        }
                    }
                    break;
                }
                if (!copy(n, body)) {
                    complete = false;
                    break;
                }
                line();
            }
        } else if (headers.containsKey("content-length")) {
            complete = copy(Long.parseLong(headers.get("content-length").get(0)), body);
        } else {
            in.transferTo(body);
        }
        return new Response(code, headers, body.toByteArray(), complete);
    }

    private boolean copy(long n, ByteArrayOutputStream body) throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (n > 0) {
            int r;
            try {
                r = in.read(buf, 0, (int) Math.min(buf.length, n));
            } catch (java.net.SocketException e) {
                return false;
            }
            if (r < 0) {
                return false;
            }
            body.write(buf, 0, r);
            n -= r;
        }
        return true;
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    /** True when the server closed the connection (read returns -1). */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
