package io.smalldragonfly.common.source;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.smalldragonfly.common.source.SourceHeaders.Header;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The one HTTP/1.1 client for sources: the supernode's CDN, dfget's back-to-source and dfdaemon's
 * direct path. Blocking, one request per connection ({@code Connection: close}); runs on the
 * caller's thread, never on an event loop.
 *
 * <ul>
 *   <li><b>Redirects</b>: 301, 302, 303, 307 and 308 with a {@code Location} are followed up to
 *       {@value #MAX_REDIRECTS} times; every URL, the first and each hop's, passes the caller's
 *       {@link UrlCheck} first (the supernode's allow/deny list). {@code Authorization} goes only to
 *       the first URL's scheme, host and port: a pre-signed storage URL carries its own credentials.</li>
 *   <li><b>Headers</b>: the client's headers pass {@link SourceHeaders#forwardable}; Range and the
 *       conditions come from the {@link SourceRequest}; {@code Accept-Encoding: identity}.</li>
 *   <li><b>Stalls</b>: connecting, and every read of the head and of the body, may take at most
 *       the timeout; a read that gets no byte for that long throws {@link SourceStalledException}.</li>
 *   <li><b>Answers</b>: the head is parsed by Netty's {@link HttpResponseDecoder} (strict on the
 *       status line, header syntax and {@code Content-Length}); a 206 must carry a
 *       {@code Content-Range} for the bytes asked for, whose length matches {@code Content-Length}.
 *       Chunked bodies are decoded by the same decoder; other bodies are read straight from the
 *       socket into the caller's buffer, so a CDN piece is filled by large reads without a copy
 *       (docs/performance.md, "CDN ingest").</li>
 * </ul>
 */
public final class SourceHttpClient {

    public static final int MAX_REDIRECTS = 10;

    private static final int MAX_INITIAL_LINE = 16 * 1024;
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_INTERIM_ANSWERS = 8;
    private static final int HEAD_READ = 16 * 1024;
    private static final int CHUNKED_READ = 64 * 1024;
    /** The decoder's buffers are heap buffers the GC reclaims, also when a body is abandoned unread. */
    private static final UnpooledByteBufAllocator DECODER_BUFFERS = new UnpooledByteBufAllocator(false, true);

    /** Vets a URL before it is requested: throw (any exception) to refuse it. */
    @FunctionalInterface
    public interface UrlCheck {
        void check(URI uri) throws IOException;
    }

    private final Duration timeout;
    private final int timeoutMillis;
    private final String timeoutOption;
    private final Function<URI, SourceTls> tls;
    private final UrlCheck urlCheck;
    private final String userAgent;

    private SourceHttpClient(Builder b) {
        this.timeout = Objects.requireNonNull(b.timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected > 0)");
        }
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        this.timeoutOption = b.timeoutOption;
        this.tls = b.tls;
        this.urlCheck = b.urlCheck;
        this.userAgent = b.userAgent;
    }

    public static Builder builder(Duration timeout) {
        return new Builder(timeout);
    }

    /**
     * Sends {@code request}, following redirects, and returns the answer once its head is read:
     * any status but a followed redirect (the caller decides what a 404 or 304 means).
     *
     * @throws SourceStalledException when the source sent nothing for the timeout
     * @throws SourceAnswerException  when the answer is not one a client may take
     * @throws IOException            when the source cannot be reached
     */
    public SourceResponse send(SourceRequest request) throws IOException {
        URI first = request.uri();
        URI current = first;
        List<Header> headers = SourceHeaders.forwardable(request.headers());
        for (int hop = 0; ; hop++) {
            checkUrl(current);
            urlCheck.check(current);
            List<Header> sent = sameEndpoint(first, current) ? headers : withoutAuthorization(headers);
            SourceResponse r = exchange(request, current, sent);
            String location = r.header("location");
            if (!isRedirect(r.status()) || location == null) {
                return r;
            }
            r.close();
            if (hop >= MAX_REDIRECTS) {
                throw new SourceAnswerException("source " + redact(first) + ": more than " + MAX_REDIRECTS
                        + " redirects");
            }
            try {
                current = current.resolve(location.trim());
            } catch (IllegalArgumentException e) {
                throw new SourceAnswerException("source " + redact(current) + " redirected to '" + abbreviate(location)
                        + "' (expected a URL)");
            }
        }
    }

    /** A URL safe to log and to tell a client: no user-info and no query (which may carry signatures). */
    public static String redact(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath()) + (url.getRawQuery() == null ? "" : "?…");
    }

    static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static void checkUrl(URI uri) throws SourceAnswerException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new SourceAnswerException("source '" + abbreviate(uri.toString())
                    + "' (expected an http or https URL with a host)");
        }
    }

    private static boolean sameEndpoint(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : defaultPort(u);
    }

    private static int defaultPort(URI u) {
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static List<Header> withoutAuthorization(List<Header> headers) {
        List<Header> out = new ArrayList<>(headers.size());
        for (Header h : headers) {
            if (!h.name().equalsIgnoreCase("authorization")) {
                out.add(h);
            }
        }
        return out;
    }

    private SourceResponse exchange(SourceRequest request, URI uri, List<Header> headers) throws IOException {
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost();
        String bareHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int port = port(uri);
        String where = redact(uri);
        Socket raw = new Socket();
        Socket s = raw;
        try {
            raw.setTcpNoDelay(true);
            raw.setReceiveBufferSize(4 * 1024 * 1024);
            try {
                raw.connect(new InetSocketAddress(bareHost, port), timeoutMillis);
            } catch (SocketTimeoutException e) {
                throw new IOException("cannot connect to " + authority(host, port) + " within "
                        + SourceStalledException.seconds(timeout) + " s");
            } catch (IOException e) {
                throw new IOException("cannot connect to " + authority(host, port) + ": " + describe(e), e);
            }
            raw.setSoTimeout(timeoutMillis);
            if (https) {
                SourceTls t = tls.apply(uri);
                SSLSocket ssl = (SSLSocket) t.context().getSocketFactory().createSocket(raw, bareHost, port, true);
                if (t.verifyHostname()) {
                    SSLParameters p = ssl.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    ssl.setSSLParameters(p);
                }
                s = ssl;
                try {
                    ssl.startHandshake();
                } catch (SocketTimeoutException e) {
                    throw e;
                } catch (IOException e) {
                    throw new IOException("TLS with " + authority(host, port) + " failed: " + describe(e), e);
                }
            }
            OutputStream out = s.getOutputStream();
            out.write(requestHead(request, uri, host, port, headers));
            out.flush();
            return answer(request, uri, where, s);
        } catch (SocketTimeoutException e) {
            s.close();
            throw new SourceStalledException(where, timeout, timeoutOption);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private byte[] requestHead(SourceRequest request, URI uri, String host, int port, List<Header> headers) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        StringBuilder b = new StringBuilder(256).append(request.method()).append(' ').append(path)
                .append(" HTTP/1.1\r\nHost: ")
                .append(authority(host, uri.getPort() < 0 || uri.getPort() == defaultPort(uri) ? -1 : port)).append("\r\n");
        boolean agent = false;
        for (Header h : headers) {
            agent |= h.name().equalsIgnoreCase("user-agent");
            b.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        if (!agent && userAgent != null) {
            b.append("User-Agent: ").append(userAgent).append("\r\n");
        }
        if (request.ranged()) {
            b.append("Range: ").append(request.rangeHeader()).append("\r\n");
        }
        if (request.ifNoneMatch() != null) {
            b.append("If-None-Match: ").append(new Header("If-None-Match", request.ifNoneMatch()).value()).append("\r\n");
        }
        if (request.ifModifiedSince() != null) {
            b.append("If-Modified-Since: ").append(new Header("If-Modified-Since", request.ifModifiedSince()).value())
                    .append("\r\n");
        }
        b.append("Accept-Encoding: identity\r\nConnection: close\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String authority(String host, int port) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return port < 0 ? h : h + ":" + port;
    }

    /** Reads the answer's head through Netty's decoder and sets up the body. */
    private SourceResponse answer(SourceRequest request, URI uri, String where, Socket s) throws IOException {
        InputStream in = s.getInputStream();
        EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE).setMaxHeaderSize(MAX_HEADER_BYTES)
                .setMaxChunkSize(CHUNKED_READ)));
        decoder.config().setAllocator(DECODER_BUFFERS);
        boolean keepDecoder = false;
        try {
            HttpResponse head = null;
            ByteArrayOutputStream early = new ByteArrayOutputStream();
            boolean ended = false;
            int interim = 0;
            long headBytes = 0;
            while (head == null) {
                byte[] buf = new byte[HEAD_READ];
                int n = in.read(buf);
                if (n < 0) {
                    throw new SourceAnswerException("source " + where + " closed the connection "
                            + (headBytes == 0 ? "without answering" : "in its answer's head"));
                }
                headBytes += n;
                decoder.writeInbound(Unpooled.wrappedBuffer(buf, 0, n));
                for (Object m; (m = decoder.readInbound()) != null; ) {
                    try {
                        if (m instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
                            throw m instanceof HttpResponse ? notHttp(where, p.decoderResult().cause())
                                    : brokenBody(where, p.decoderResult().cause());
                        }
                        if (m instanceof HttpResponse r) {
                            checkHead(where, r);
                            if (r.status().code() < 200) {
                                if (++interim > MAX_INTERIM_ANSWERS) {
                                    throw new SourceAnswerException("source " + where + " sent more than "
                                            + MAX_INTERIM_ANSWERS + " interim answers");
                                }
                                continue;
                            }
                            head = r;
                        }
                        if (m instanceof HttpContent c && head != null) {
                            c.content().readBytes(early, c.content().readableBytes());
                            ended |= c instanceof LastHttpContent;
                        }
                    } finally {
                        ReferenceCountUtil.release(m);
                    }
                }
            }
            int status = head.status().code();
            long length = HttpUtil.isTransferEncodingChunked(head) ? -1 : HttpUtil.getContentLength(head, -1L);
            ContentRange range = status == 206 || status == 416 ? ContentRange.parse(head.headers().get("content-range"))
                    : null;
            if (status == 206 && request.ranged()) {
                checkRange(where, request, head.headers().get("content-range"), range, length);
            }
            byte[] got = early.toByteArray();
            InputStream body;
            if (request.method().equals("HEAD")) {
                body = InputStream.nullInputStream();
                s.close(); // Connection: close, and a HEAD answer has no body
            } else if (ended) {
                body = new Body(s, in, where, got, 0); // 204, 304, or the whole body came with the head
            } else if (HttpUtil.isTransferEncodingChunked(head)) {
                body = new ChunkedBody(s, in, where, got, decoder);
                keepDecoder = true;
            } else {
                body = new Body(s, in, where, got, length < 0 ? -1 : length - got.length);
            }
            return new SourceResponse(uri, status, head.headers(), length, range, body);
        } finally {
            if (!keepDecoder) {
                decoder.finishAndReleaseAll();
            }
        }
    }

    private static SourceAnswerException notHttp(String where, Throwable cause) {
        return new SourceAnswerException("source " + where + " answered something that is not HTTP/1.x ("
                + abbreviate(String.valueOf(cause.getMessage())) + ")");
    }

    private static SourceAnswerException brokenBody(String where, Throwable cause) {
        return new SourceAnswerException("source " + where + " sent a broken body ("
                + abbreviate(String.valueOf(cause.getMessage())) + ")");
    }

    private static void checkHead(String where, HttpResponse r) throws SourceAnswerException {
        if (!"HTTP".equals(r.protocolVersion().protocolName()) || r.protocolVersion().majorVersion() != 1) {
            throw new SourceAnswerException("source " + where + " answered " + r.protocolVersion()
                    + " (expected HTTP/1.x)");
        }
        int code = r.status().code();
        if (code < 100 || code > 599 || code == 101) {
            throw new SourceAnswerException("source " + where + " answered status " + code
                    + " (expected 1xx but 101, 2xx, 3xx, 4xx or 5xx)");
        }
    }

    private static void checkRange(String where, SourceRequest request, String raw, ContentRange range, long length)
            throws SourceAnswerException {
        String asked = request.rangeHeader();
        if (range == null || range.unsatisfied()) {
            throw new SourceAnswerException("source " + where + " answered 206 with Content-Range '"
                    + abbreviate(String.valueOf(raw)) + "' for " + asked + " (expected bytes first-last/total)");
        }
        if (range.first() != request.rangeFirst() || request.rangeLast() >= 0 && range.last() > request.rangeLast()) {
            throw new SourceAnswerException("source " + where + " answered Content-Range '" + abbreviate(raw)
                    + "' for " + asked + " (expected the bytes asked for; the source does not honour ranges)");
        }
        if (length >= 0 && length != range.length()) {
            throw new SourceAnswerException("source " + where + " answered Content-Length " + length
                    + " with Content-Range '" + abbreviate(raw) + "' (expected " + range.length() + ")");
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /**
     * A body read from the socket: {@code remaining} bytes after those already read with the head,
     * or until the connection ends when -1. A connection that ends early is an error.
     */
    private class Body extends InputStream {
        final Socket socket;
        final InputStream in;
        final String where;
        private final byte[] early;
        private int earlyPos;
        private long remaining;

        Body(Socket socket, InputStream in, String where, byte[] early, long remaining) {
            this.socket = socket;
            this.in = in;
            this.where = where;
            this.early = early;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public final int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int e = readEarly(b, off, len);
            return e > 0 ? e : fill(b, off, len);
        }

        /** Reads body bytes from the socket, once those that came with the head are served. */
        int fill(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int n = socketRead(b, off, remaining < 0 ? len : (int) Math.min(len, remaining));
            if (n < 0) {
                if (remaining < 0) {
                    return -1;
                }
                throw new EOFException("source " + where + " closed the connection " + remaining
                        + " bytes before the end of its body");
            }
            if (remaining > 0) {
                remaining -= n;
            }
            return n;
        }

        /** Serves the body bytes that came with the head; 0 once they are all read. */
        private int readEarly(byte[] b, int off, int len) {
            int n = Math.min(len, early.length - earlyPos);
            System.arraycopy(early, earlyPos, b, off, n);
            earlyPos += n;
            return n;
        }

        final int socketRead(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (SocketTimeoutException e) {
                throw new SourceStalledException(where, timeout, timeoutOption);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** {@code Transfer-Encoding: chunked}, decoded by the head's decoder; trailers are dropped. */
    private final class ChunkedBody extends Body {
        private final EmbeddedChannel decoder;
        private final ByteBuf pending = Unpooled.buffer();
        private boolean done;

        ChunkedBody(Socket socket, InputStream in, String where, byte[] early, EmbeddedChannel decoder) {
            super(socket, in, where, early, -1);
            this.decoder = decoder;
        }

        @Override
        int fill(byte[] b, int off, int len) throws IOException {
            while (!pending.isReadable()) {
                if (done) {
                    return -1;
                }
                byte[] buf = new byte[CHUNKED_READ];
                int n = socketRead(buf, 0, buf.length);
                if (n < 0) {
                    decoder.finishAndReleaseAll();
                    throw new EOFException("source " + where + " closed the connection inside its chunked body");
                }
                decoder.writeInbound(Unpooled.wrappedBuffer(buf, 0, n));
                pending.discardReadBytes();
                for (Object m; (m = decoder.readInbound()) != null; ) {
                    try {
                        if (m instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
                            done = true;
                            throw brokenBody(where, p.decoderResult().cause());
                        }
                        if (m instanceof HttpContent c) {
                            pending.writeBytes(c.content());
                            done |= c instanceof LastHttpContent;
                        }
                    } finally {
                        ReferenceCountUtil.release(m);
                    }
                }
                if (done) {
                    decoder.finishAndReleaseAll();
                }
            }
            int n = Math.min(len, pending.readableBytes());
            pending.readBytes(b, off, n);
            return n;
        }
    }

    public static final class Builder {
        private final Duration timeout;
        private String timeoutOption;
        private Function<URI, SourceTls> tls = u -> SourceTls.jvmDefault();
        private UrlCheck urlCheck = u -> { };
        private String userAgent;

        private Builder(Duration timeout) {
            this.timeout = timeout;
        }

        /** The option that sets the timeout, named in stall messages ({@code --source-timeout}). */
        public Builder timeoutOption(String v) { timeoutOption = v; return this; }

        public Builder tls(SourceTls v) { Objects.requireNonNull(v, "tls"); tls = u -> v; return this; }

        /** The trust for each https URL (dfdaemon trusts its registry's CA for the registry only). */
        public Builder tls(Function<URI, SourceTls> v) { tls = Objects.requireNonNull(v, "tls"); return this; }

        public Builder urlCheck(UrlCheck v) { urlCheck = Objects.requireNonNull(v, "urlCheck"); return this; }

        /** Sent unless the client's headers carry one. */
        public Builder userAgent(String v) { userAgent = v; return this; }

        public SourceHttpClient build() {
            return new SourceHttpClient(this);
        }
    }
}
