package io.smalldragonfly.dfdaemon.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.upstream.HopByHop;
import io.smalldragonfly.dfdaemon.upstream.Upstreams;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one request to the registry (reverse proxy) or an origin (forward proxy) and streams the
 * answer back: status and end-to-end headers intact (Authorization and Accept out, 401 and
 * {@code WWW-Authenticate} and redirects back), hop-by-hop headers stripped, {@code Via} added,
 * no body for {@code HEAD}.
 *
 * <p>Backpressure as Netty's {@code HexDumpProxy}: the upstream channel runs on the client's event
 * loop with {@code AUTO_READ} off and is read again only after the previous chunk was written to
 * the client, so a multi-GB body never sits in memory.
 *
 * <p>Upstream connections are kept alive and reused through the {@link UpstreamPool} when both
 * sides allow it. A reused connection the server closed meanwhile fails before any answer; a
 * request without a body ({@code GET}, {@code HEAD}) is then sent once more on a new connection.
 */
final class UpstreamRelay {

    private static final Logger log = LoggerFactory.getLogger(UpstreamRelay.class);

    private final Upstreams upstreams;
    private final DfdaemonMetrics metrics;
    private final UpstreamPool pool = new UpstreamPool();

    UpstreamRelay(Upstreams upstreams, DfdaemonMetrics metrics) {
        this.upstreams = upstreams;
        this.metrics = metrics;
    }

    /** Takes ownership of {@code request}; runs {@code done} on the event loop after the last byte went out. */
    void relay(Channel client, FullHttpRequest request, URI target, Runnable done) {
        HttpHeaders headers = request.headers().copy();
        HopByHop.strip(headers);
        headers.set(HttpHeaderNames.HOST, Upstreams.authority(target));
        HopByHop.addVia(headers);
        headers.set(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
        new Exchange(client, request.method(), Upstreams.originForm(target), headers, request.content(), target,
                HttpUtil.isKeepAlive(request), done).start(true);
    }

    /** One request's trip upstream, possibly twice (see the class comment); on the client's event loop. */
    private final class Exchange {
        private final Channel client;
        private final HttpMethod method;
        private final String uri;
        private final HttpHeaders headers;
        private ByteBuf body;
        private final URI target;
        private final String key;
        private final boolean keepAlive;
        private final Runnable done;
        private final boolean retriable;
        private GenericFutureListener<Future<Void>> closeUpstream;

        Exchange(Channel client, HttpMethod method, String uri, HttpHeaders headers, ByteBuf body, URI target,
                 boolean keepAlive, Runnable done) {
            this.client = client;
            this.method = method;
            this.uri = uri;
            this.headers = headers;
            this.body = body;
            this.target = target;
            this.key = UpstreamPool.key(target);
            this.keepAlive = keepAlive;
            this.done = done;
            this.retriable = !body.isReadable();
        }

        void start(boolean mayReuse) {
            Channel pooled = mayReuse ? pool.acquire(key) : null;
            if (pooled != null) {
                pooled.pipeline().replace("relay", "relay", new Backend(this, true));
                send(pooled);
                return;
            }
            ChannelFuture connect = upstreams.connect(client.eventLoop(), target, true, new Backend(this, false));
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    releaseBody();
                    metrics.streamError("upstream_connect");
                    log.warn("{}: cannot connect: {}", BlobRequest.redact(target), f.cause().getMessage());
                    ResponseWriter.then(ResponseWriter.writeTextError(client, HttpStatusException.of(502,
                            "dfdaemon: cannot reach " + Upstreams.authority(target) + ": " + f.cause().getMessage()),
                            null, keepAlive), done);
                    return;
                }
                send(connect.channel());
            });
        }

        private void send(Channel upstream) {
            // a client that goes away takes the upstream connection with it, until it is back in the pool
            closeUpstream = f -> upstream.close();
            client.closeFuture().addListener(closeUpstream);
            ByteBuf content = body;
            body = null;
            FullHttpRequest up = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                    content == null ? Unpooled.EMPTY_BUFFER : content);
            up.headers().set(headers);
            upstream.writeAndFlush(up).addListener(w -> {
                if (w.isSuccess()) {
                    upstream.read();
                } else {
                    upstream.close();
                }
            });
        }

        void detach() {
            if (closeUpstream != null) {
                client.closeFuture().removeListener(closeUpstream);
                closeUpstream = null;
            }
        }

        void releaseBody() {
            if (body != null) {
                body.release();
                body = null;
            }
        }
    }

    /** Last handler of the upstream pipeline during one exchange, on the client's event loop. */
    private final class Backend extends ChannelInboundHandlerAdapter {
        private final Exchange exchange;
        private final boolean reused;
        private boolean started;
        private boolean finished;
        private boolean keepAlive;

        Backend(Exchange exchange, boolean reused) {
            this.exchange = exchange;
            this.reused = reused;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (finished) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
                // not HTTP (or garbage left on a reused connection): never relay it; channelInactive
                // retries or answers 502
                log.debug("{}: undecodable answer: {}", BlobRequest.redact(exchange.target), o.decoderResult().cause().toString());
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            boolean head = exchange.method.equals(HttpMethod.HEAD);
            Object out = msg;
            if (msg instanceof HttpResponse res) {
                if (res.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                    // 100 Continue and friends stay between us and the upstream
                    ReferenceCountUtil.release(msg);
                    ctx.read();
                    return;
                }
                boolean chunked = HttpUtil.isTransferEncodingChunked(res);
                boolean framed = chunked || res.headers().contains(HttpHeaderNames.CONTENT_LENGTH) || head
                        || res.status().code() == 204 || res.status().code() == 304;
                keepAlive = HttpUtil.isKeepAlive(res) && framed;
                HopByHop.strip(res.headers());
                HopByHop.addVia(res.headers());
                boolean mayHaveBody = !head && res.status().code() != 204 && res.status().code() != 304;
                if (!res.headers().contains(HttpHeaderNames.CONTENT_LENGTH) && (chunked || mayHaveBody)) {
                    // re-frame a chunked or read-until-close body as chunked on our own hop
                    HttpUtil.setTransferEncodingChunked(res, true);
                }
                started = true;
            } else if (head && msg instanceof HttpContent c && c.content().isReadable()) {
                ReferenceCountUtil.release(msg);
                out = msg instanceof LastHttpContent ? LastHttpContent.EMPTY_LAST_CONTENT : null;
            }
            if (out == null) {
                ctx.read();
                return;
            }
            boolean last = out instanceof LastHttpContent;
            if (last) {
                // the upstream's part is over: park or close it before the client has taken the bytes
                finished = true;
                exchange.detach();
                if (keepAlive && ctx.channel().isActive()) {
                    pool.release(exchange.key, ctx.channel());
                } else {
                    ctx.close();
                }
            }
            exchange.client.writeAndFlush(out).addListener(f -> {
                if (!f.isSuccess()) {
                    if (!last) {
                        ctx.close();
                    }
                } else if (last) {
                    exchange.done.run();
                } else {
                    ctx.read();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (finished) {
                return;
            }
            finished = true;
            exchange.detach();
            if (!started && reused && exchange.retriable && exchange.client.isActive()) {
                log.debug("{}: reused connection was closed by the server; retrying on a new one",
                        BlobRequest.redact(exchange.target));
                exchange.start(false);
                return;
            }
            exchange.releaseBody();
            metrics.streamError("upstream");
            if (!started) {
                ResponseWriter.then(ResponseWriter.writeTextError(exchange.client, HttpStatusException.of(502,
                        "dfdaemon: " + Upstreams.authority(exchange.target)
                                + " closed the connection without an answer"),
                        null, exchange.keepAlive), exchange.done);
            } else {
                // the body is cut short: the client must see it, not a response that looks complete
                log.warn("{}: upstream closed mid-body; closing the client connection", BlobRequest.redact(exchange.target));
                exchange.client.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: upstream error: {}", BlobRequest.redact(exchange.target), cause.toString());
            ctx.close();
        }
    }
}
