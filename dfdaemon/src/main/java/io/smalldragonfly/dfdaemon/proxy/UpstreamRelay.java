package io.smalldragonfly.dfdaemon.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
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
 */
final class UpstreamRelay {

    private static final Logger log = LoggerFactory.getLogger(UpstreamRelay.class);

    private final Upstreams upstreams;
    private final DfdaemonMetrics metrics;

    UpstreamRelay(Upstreams upstreams, DfdaemonMetrics metrics) {
        this.upstreams = upstreams;
        this.metrics = metrics;
    }

    /** Takes ownership of {@code request}; runs {@code done} on the event loop after the last byte went out. */
    void relay(Channel client, FullHttpRequest request, URI target, Runnable done) {
        boolean head = request.method().equals(HttpMethod.HEAD);
        DefaultFullHttpRequest up = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                Upstreams.originForm(target), request.content());
        up.headers().set(request.headers());
        HopByHop.strip(up.headers());
        up.headers().set(HttpHeaderNames.HOST, Upstreams.authority(target));
        // one upstream connection per request: simple, and no state shared between clients
        up.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HopByHop.addVia(up.headers());
        HttpUtil.setContentLength(up, up.content().readableBytes());

        Backend backend = new Backend(client, head, target, done);
        ChannelFuture connect = upstreams.connect(client.eventLoop(), target, true, backend);
        // a client that goes away takes its upstream connection with it; once the upstream is
        // closed the listener has nothing left to do, so it must not pile up on a keep-alive client
        GenericFutureListener<Future<Void>> closeUpstream = f -> connect.channel().close();
        client.closeFuture().addListener(closeUpstream);
        connect.channel().closeFuture().addListener(f -> client.closeFuture().removeListener(closeUpstream));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                ReferenceCountUtil.release(up);
                metrics.streamError("upstream_connect");
                log.warn("{}: cannot connect: {}", BlobRequest.redact(target), f.cause().getMessage());
                Responses.text(client, HttpResponseStatus.BAD_GATEWAY, "dfdaemon: cannot reach "
                        + Upstreams.authority(target) + ": " + f.cause().getMessage(), null, done);
                return;
            }
            Channel ch = connect.channel();
            ch.writeAndFlush(up).addListener(w -> {
                if (w.isSuccess()) {
                    ch.read();
                } else {
                    ch.close();
                }
            });
        });
    }

    /** Last handler of the upstream pipeline, on the client's event loop. */
    private final class Backend extends ChannelInboundHandlerAdapter {
        private final Channel client;
        private final boolean head;
        private final URI target;
        private final Runnable done;
        private boolean started;
        private boolean finished;

        Backend(Channel client, boolean head, URI target, Runnable done) {
            this.client = client;
            this.head = head;
            this.target = target;
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (finished) {
                ReferenceCountUtil.release(msg);
                return;
            }
            Object out = msg;
            if (msg instanceof HttpResponse res) {
                if (res.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
                    // 100 Continue and friends stay between us and the upstream
                    ReferenceCountUtil.release(msg);
                    ctx.read();
                    return;
                }
                boolean chunked = HttpUtil.isTransferEncodingChunked(res);
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
                finished = true;
            }
            client.writeAndFlush(out).addListener(f -> {
                if (!f.isSuccess()) {
                    ctx.close();
                } else if (last) {
                    ctx.close();
                    done.run();
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
            if (!started) {
                metrics.streamError("upstream");
                Responses.text(client, HttpResponseStatus.BAD_GATEWAY, "dfdaemon: " + Upstreams.authority(target)
                        + " closed the connection without an answer", null, done);
            } else {
                // the body is cut short: the client must see it, not a response that looks complete
                metrics.streamError("upstream");
                log.warn("{}: upstream closed mid-body; closing the client connection", BlobRequest.redact(target));
                client.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: upstream error: {}", BlobRequest.redact(target), cause.toString());
            ctx.close();
        }
    }
}
