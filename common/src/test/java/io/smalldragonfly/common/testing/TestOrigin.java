package io.smalldragonfly.common.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.util.Digests;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP origin for tests, on {@code 127.0.0.1} and an ephemeral port: it serves byte arrays (or
 * generated deterministic content of N bytes) with the behaviours a download source can have.
 *
 * <pre>{@code
 * try (TestOrigin origin = TestOrigin.start()) {
 *     byte[] data = origin.generated("/file", 10_000_000).content();   // deterministic bytes
 *     origin.serve("/v1", data).etag("\"v1\"").lastModified("Wed, 21 Oct 2015 07:28:00 GMT");
 *     origin.serve("/stream", data).chunked();          // no Content-Length
 *     origin.serve("/whole", data).noRanges();          // ignores Range, always 200
 *     origin.serve("/flaky", data).failAfter(5_000_000); // next GET dies after 5 MB, later ones succeed
 *     origin.serve("/stuck", data).stallAfter(1_000);    // next GET sends 1,000 bytes, then hangs
 *     origin.serve("/private", data).requireHeader("Authorization", "Bearer t"); // else 401
 *     origin.redirect("/old", "/file");                 // 302 to /file
 *     origin.status("/missing", 404);                   // any status, empty body
 *     String url = origin.url("/file");
 *     long sent = origin.bytesSent();                   // body bytes sent so far, all paths
 * }
 * }</pre>
 *
 * Every resource answers HEAD, Range ({@code bytes=a-b}, {@code a-}, {@code -n}: 206 with
 * Content-Range, 416 past the end), and {@code If-None-Match} / {@code If-Modified-Since} with 304
 * when it has an ETag / Last-Modified. Unknown paths are 404. Requests are recorded ({@link #requests()}).
 */
public final class TestOrigin implements AutoCloseable {

    /** One request as the origin saw it; header names lowercase. */
    public record Recorded(String method, String path, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A served file and its behaviour; the setters chain. */
    public static final class Resource {
        private final byte[] content;
        private volatile String etag;
        private volatile String lastModified;
        private volatile boolean ranges = true;
        private volatile boolean chunked;
        private volatile boolean headAllowed = true;
        private volatile String authName;
        private volatile String authValue;
        private final AtomicLong failAfter = new AtomicLong(-1);
        private final AtomicLong stallAfter = new AtomicLong(-1);
        private final AtomicLong stallAlwaysAt = new AtomicLong(-1);

        Resource(byte[] content) {
            this.content = content;
        }

        public byte[] content() {
            return content;
        }

        /** md5 of the content, lowercase hex. */
        public String md5() {
            return Digests.md5Hex(content);
        }

        public Resource etag(String value) {
            etag = value;
            return this;
        }

        public Resource lastModified(String httpDate) {
            lastModified = httpDate;
            return this;
        }

        /** Ignore Range headers: always 200 with the whole body, no Accept-Ranges. */
        public Resource noRanges() {
            ranges = false;
            return this;
        }

        /** Send the body chunked, without Content-Length (HEAD has none either). */
        public Resource chunked() {
            chunked = true;
            return this;
        }

        /** Answer HEAD with 405, as some signed-URL stores do. */
        public Resource noHead() {
            headAllowed = false;
            return this;
        }

        /** Answer 401 unless the request carries this header with this value. */
        public Resource requireHeader(String name, String value) {
            authName = name.toLowerCase(Locale.ROOT);
            authValue = value;
            return this;
        }

        /** The next GET with a body sends {@code bytes} body bytes, then nothing, keeping the connection open (once). */
        public Resource stallAfter(long bytes) {
            stallAfter.set(bytes);
            return this;
        }

        /**
         * Every GET whose range reaches byte {@code offset} of the file sends the bytes before it,
         * then nothing, keeping the connection open: a source that is stuck for good. Ranges that
         * end before {@code offset} are served (a {@code bytes=0-0} probe succeeds).
         */
        public Resource stallAlwaysAt(long offset) {
            stallAlwaysAt.set(offset);
            return this;
        }

        /** The next GET with a body closes the connection after {@code bytes} body bytes (once). */
        public Resource failAfter(long bytes) {
            failAfter.set(bytes);
            return this;
        }
    }

    private final Map<String, Resource> resources = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private final NettyServer server;

    private TestOrigin() {
        this.server = NettyServer.start("test-origin", "127.0.0.1", 0, 2, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("codec", new HttpServerCodec());
                ch.pipeline().addLast("aggregator", new HttpObjectAggregator(1 << 20));
                ch.pipeline().addLast("origin", new Handler());
            }
        });
    }

    /** Starts an origin on 127.0.0.1 and an ephemeral port. */
    public static TestOrigin start() {
        return new TestOrigin();
    }

    /** {@code size} deterministic pseudo-random bytes; the same seed and size give the same bytes. */
    public static byte[] content(int size, long seed) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                b[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return b;
    }

    /** Serves {@code content} at {@code path}. */
    public Resource serve(String path, byte[] content) {
        Resource r = new Resource(content);
        resources.put(path, r);
        return r;
    }

    /** Serves {@code size} deterministic bytes (seeded by the path) at {@code path}. */
    public Resource generated(String path, int size) {
        return serve(path, content(size, path.hashCode()));
    }

    /** {@code path} answers 302 to {@code target} (a path on this origin or an absolute URL). */
    public TestOrigin redirect(String path, String target) {
        redirects.put(path, target.startsWith("/") ? url(target) : target);
        return this;
    }

    /** {@code path} answers {@code status} with an empty body. */
    public TestOrigin status(String path, int status) {
        statuses.put(path, status);
        return this;
    }

    public int port() {
        return server.port();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Body bytes sent so far, all paths together. */
    public long bytesSent() {
        return bytesSent.get();
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** Requests so far for {@code path} with {@code method} (e.g. "GET"). */
    public long count(String method, String path) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().equals(path)).count();
    }

    @Override
    public void close() {
        server.close();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            Map<String, String> headers = new ConcurrentHashMap<>();
            req.headers().forEach(e -> headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
            requests.add(new Recorded(req.method().name(), path, Map.copyOf(headers)));
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            boolean head = req.method().equals(HttpMethod.HEAD);
            if (redirects.containsKey(path)) {
                FullHttpResponse res = empty(HttpResponseStatus.FOUND);
                res.headers().set(HttpHeaderNames.LOCATION, redirects.get(path));
                send(ctx, res, keepAlive);
                return;
            }
            if (statuses.containsKey(path)) {
                send(ctx, empty(HttpResponseStatus.valueOf(statuses.get(path))), keepAlive);
                return;
            }
            Resource r = resources.get(path);
            if (r == null) {
                send(ctx, empty(HttpResponseStatus.NOT_FOUND), keepAlive);
                return;
            }
            if (head && !r.headAllowed) {
                send(ctx, empty(HttpResponseStatus.METHOD_NOT_ALLOWED), keepAlive);
                return;
            }
            if (r.authName != null && !r.authValue.equals(headers.get(r.authName))) {
                send(ctx, empty(HttpResponseStatus.UNAUTHORIZED), keepAlive);
                return;
            }
            if (notModified(r, req)) {
                FullHttpResponse res = empty(HttpResponseStatus.NOT_MODIFIED);
                validators(r, res);
                send(ctx, res, keepAlive);
                return;
            }
            long total = r.content.length;
            long start = 0;
            long end = total - 1;
            boolean partial = false;
            String range = req.headers().get(HttpHeaderNames.RANGE);
            if (range != null && r.ranges && range.startsWith("bytes=") && !range.contains(",")) {
                String spec = range.substring(6).trim();
                int dash = spec.indexOf('-');
                try {
                    if (dash == 0) {
                        start = Math.max(0, total - Long.parseLong(spec.substring(1)));
                    } else {
                        start = Long.parseLong(spec.substring(0, dash));
                        if (dash < spec.length() - 1) {
                            end = Math.min(end, Long.parseLong(spec.substring(dash + 1)));
                        }
                    }
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    send(ctx, empty(HttpResponseStatus.BAD_REQUEST), keepAlive);
                    return;
                }
                if (start >= total || end < start) {
                    FullHttpResponse res = empty(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
                    res.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + total);
                    send(ctx, res, keepAlive);
                    return;
                }
                partial = true;
            }
            HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                    partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
            validators(r, res);
            if (r.ranges) {
                res.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
            }
            if (partial) {
                res.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + total);
            }
            long length = end - start + 1;
            if (r.chunked) {
                HttpUtil.setTransferEncodingChunked(res, true);
            } else {
                HttpUtil.setContentLength(res, length);
            }
            HttpUtil.setKeepAlive(res, keepAlive);
            ctx.write(res);
            if (head) {
                finish(ctx, keepAlive);
                return;
            }
            long limit = r.failAfter.getAndSet(-1);
            long stall = r.stallAfter.getAndSet(-1);
            long stuckAt = r.stallAlwaysAt.get();
            if (stall < 0 && stuckAt >= 0 && end >= stuckAt) {
                stall = Math.max(0, stuckAt - start);
            }
            if (stall >= 0) {
                int n = (int) Math.min(stall, end - start + 1);
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(r.content, (int) start, n)));
                bytesSent.addAndGet(n);
                return; // and never another byte on this connection
            }
            long pos = start;
            while (pos <= end) {
                int n = (int) Math.min(64 * 1024, end - pos + 1);
                if (limit >= 0 && pos - start + n > limit) {
                    n = (int) Math.max(0, limit - (pos - start));
                    if (n > 0) {
                        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(r.content, (int) pos, n)));
                        bytesSent.addAndGet(n);
                    }
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(r.content, (int) pos, n)));
                bytesSent.addAndGet(n);
                pos += n;
            }
            finish(ctx, keepAlive);
        }

        private boolean notModified(Resource r, FullHttpRequest req) {
            String inm = req.headers().get(HttpHeaderNames.IF_NONE_MATCH);
            if (inm != null && r.etag != null) {
                return inm.equals(r.etag) || inm.equals("*");
            }
            String ims = req.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE);
            return ims != null && r.lastModified != null && ims.equals(r.lastModified);
        }

        private void validators(Resource r, HttpResponse res) {
            if (r.etag != null) {
                res.headers().set(HttpHeaderNames.ETAG, r.etag);
            }
            if (r.lastModified != null) {
                res.headers().set(HttpHeaderNames.LAST_MODIFIED, r.lastModified);
            }
        }

        private FullHttpResponse empty(HttpResponseStatus status) {
            // Always an empty body: the answer may be to a HEAD, which must carry none.
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
            HttpUtil.setContentLength(res, 0);
            return res;
        }

        private void send(ChannelHandlerContext ctx, FullHttpResponse res, boolean keepAlive) {
            HttpUtil.setKeepAlive(res, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void finish(ChannelHandlerContext ctx, boolean keepAlive) {
            if (keepAlive) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
