package io.smalldragonfly.supernode.cdn;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 GET on a plain blocking socket of its own ({@code Connection: close}), for source
 * bodies. The JDK's {@code java.net.http} client hands a body over in 16 KiB buffers through its
 * selector thread and a queue, which cost the CDN about three times the CPU of the socket read
 * itself (docs/performance.md, "CDN ingest"); here the CDN's piece buffer is filled by large reads
 * straight from the socket. Closing the body closes the socket, which also wakes a reader blocked
 * in it (the stall watchdog and shutdown rely on that).
 */
final class BodyConnection {

    /** Longest status line or header line accepted, and most header bytes in all. */
    private static final int MAX_LINE = 16 * 1024;
    private static final int MAX_HEAD = 256 * 1024;
    private static final int READ_BUFFER = 256 * 1024;

    /** The answer's head; {@code body} is positioned at the content (de-chunked when chunked). */
    record Answer(int status, Map<String, String> headers, InputStream body) {
        String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }

        long contentLength() {
            if (headers.containsKey("transfer-encoding")) {
                return -1;
            }
            try {
                String v = headers.get("content-length");
                return v == null ? -1 : Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    private BodyConnection() {}

    /**
     * Sends {@code GET uri} with {@code headers} (already filtered) and reads the answer's head.
     *
     * @param timeout connect timeout and the longest wait for any read, head or body
     */
    static Answer get(URI uri, List<String[]> headers, Duration timeout, SSLContext tls, long bodyReadTimeoutMillis)
            throws IOException {
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost();
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        Socket raw = new Socket();
        Socket s = raw;
        try {
            raw.setTcpNoDelay(true);
            raw.setReceiveBufferSize(4 * 1024 * 1024);
            raw.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            int answerTimeout = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
            raw.setSoTimeout(answerTimeout);
            if (https) {
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw, host, port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
            OutputStream out = s.getOutputStream();
            out.write(request(uri, host, port, https, headers));
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream(), READ_BUFFER);
            int status;
            Map<String, String> h;
            do { // 1xx answers precede the real one
                status = statusOf(readLine(in), uri);
                h = readHeaders(in);
            } while (status >= 100 && status < 200);
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(0, bodyReadTimeoutMillis)));
            Socket sock = s;
            InputStream body = new SocketBody(sock, in);
            String te = h.get("transfer-encoding");
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = new ChunkedBody(sock, in);
            } else if (h.containsKey("content-length")) {
                long len = new Answer(status, h, null).contentLength();
                if (len >= 0) {
                    body = new LimitedBody(sock, in, len);
                }
            }
            return new Answer(status, h, body);
        } catch (SocketTimeoutException e) {
            s.close();
            throw new SocketTimeoutException("no answer within " + timeout.toMillis() + " ms");
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static byte[] request(URI uri, String host, int port, boolean https, List<String[]> headers) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        boolean defaultPort = uri.getPort() < 0 || port == (https ? 443 : 80);
        String hostHeader = (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host)
                + (defaultPort ? "" : ":" + port);
        StringBuilder b = new StringBuilder(256).append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostHeader).append("\r\n");
        boolean agent = false;
        for (String[] h : headers) {
            agent |= h[0].equalsIgnoreCase("user-agent");
            b.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        if (!agent) {
            b.append("User-Agent: small-dragonfly-supernode\r\n");
        }
        b.append("Accept-Encoding: identity\r\nConnection: close\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int statusOf(String line, URI uri) throws IOException {
        // "HTTP/1.1 200 OK"
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw new IOException("source " + uri + " answered '" + abbreviate(line) + "' (expected an HTTP/1.x status line)");
        }
        try {
            return Integer.parseInt(line.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("source " + uri + " answered '" + abbreviate(line) + "' (expected a 3-digit status)");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static Map<String, String> readHeaders(InputStream in) throws IOException {
        Map<String, String> h = new HashMap<>();
        int total = 0;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            total += line.length();
            if (total > MAX_HEAD) {
                throw new IOException("source answer headers exceed " + MAX_HEAD + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue; // obsolete line folding or junk: not a header we use
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            h.merge(name, value, (a, b) -> a + ", " + b);
        }
        return h;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("source closed the connection in the answer's head");
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("source answer line exceeds " + MAX_LINE + " bytes");
            }
            line.write(c);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** A body read until the connection ends; closing it closes the socket. */
    private static class SocketBody extends InputStream {
        final Socket socket;
        final InputStream in;

        SocketBody(Socket socket, InputStream in) {
            this.socket = socket;
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A body of {@code Content-Length} bytes; a connection that ends earlier is an error. */
    private static final class LimitedBody extends SocketBody {
        private long remaining;

        LimitedBody(Socket socket, InputStream in, long length) {
            super(socket, in);
            this.remaining = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new EOFException("source closed the connection " + remaining + " bytes before the end of the body");
            }
            remaining -= n;
            return n;
        }
    }

    /** {@code Transfer-Encoding: chunked}, decoded; trailers are read and dropped. */
    private static final class ChunkedBody extends SocketBody {
        private long chunkLeft;
        private boolean done;

        ChunkedBody(Socket socket, InputStream in) {
            super(socket, in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            if (chunkLeft == 0) {
                String line = readLine(in);
                int semi = line.indexOf(';');
                String size = (semi >= 0 ? line.substring(0, semi) : line).trim();
                try {
                    chunkLeft = Long.parseLong(size, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("source sent chunk size '" + abbreviate(line) + "' (expected hex digits)");
                }
                if (chunkLeft < 0) {
                    throw new IOException("source sent a negative chunk size");
                }
                if (chunkLeft == 0) {
                    readHeaders(in); // trailers up to the empty line
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new EOFException("source closed the connection inside a chunk");
            }
            chunkLeft -= n;
            if (chunkLeft == 0 && !readLine(in).isEmpty()) {
                throw new IOException("source sent a chunk without its CRLF");
            }
            return n;
        }
    }
}
