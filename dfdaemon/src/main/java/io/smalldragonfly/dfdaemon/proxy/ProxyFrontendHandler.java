package io.smalldragonfly.dfdaemon.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.smalldragonfly.common.http.HttpPipeline;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.Response;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.dfdaemon.blob.BlobRequest;
import io.smalldragonfly.dfdaemon.upstream.HopByHop;
import io.smalldragonfly.dfdaemon.upstream.Upstreams;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of the proxy pipeline (after the aggregator): routes each request with the
 * {@link Router} and hands it to the blob path, the relay, the tunnel, or answers it locally.
 *
 * <p>One request at a time per connection: the channel runs with {@code AUTO_READ} off and the
 * next request is read only when the current response is complete, so responses never interleave
 * and a pipelining client cannot queue unbounded work (requests already decoded from one socket
 * read wait in a queue, in order). Never logs headers or query strings.
 */
final class ProxyFrontendHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);

    /** Request headers not sent to the source of a blob: they describe this client's transfer only. */
    private static final Set<String> NOT_FOR_BLOB_SOURCE = Set.of(
            "host", "range", "if-range", "accept-encoding", "content-length", "via",
            "if-match", "if-none-match", "if-modified-since", "if-unmodified-since");

    private final ProxyServices services;
    /** Event-loop confined: whether a response is in progress, and requests decoded meanwhile. */
    private boolean busy;
    private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();

    ProxyFrontendHandler(ProxyServices services) {
        this.services = services;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (busy) {
            // a pipelining client: requests already read from the socket wait for their turn
            queued.add(req.retain());
            return;
        }
        busy = true;
        serve(ctx, req);
    }

    /** The current response is complete: serve the next queued request, or read the next one. */
    private void next(ChannelHandlerContext ctx) {
        busy = false;
        FullHttpRequest req = queued.poll();
        if (req != null) {
            busy = true;
            try {
                serve(ctx, req);
            } finally {
                req.release();
            }
        } else if (ctx.channel().isActive()) {
            ctx.channel().read();
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest req) {
        Channel ch = ctx.channel();
        Runnable next = () -> next(ctx);
        if (req.decoderResult().isFailure()) {
            // typically a client trying TLS first (skopeo and containerd probe https:// on a mirror)
            // (the class only: a message may quote the request line, query signatures included)
            log.debug("undecodable request: {}", req.decoderResult().cause().getClass().getSimpleName());
            services.metrics().request(Route.Kind.BAD_REQUEST);
            ResponseWriter.writeTextError(ch, HttpStatusException.badRequest(
                    "dfdaemon: malformed HTTP request (expected HTTP/1.1)"), null, false);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean head = req.method().equals(HttpMethod.HEAD);
        Route route = services.router().route(req.method().name(), req.uri());
        services.metrics().request(route.kind());
        if (log.isDebugEnabled()) {
            log.debug("{} {} -> {}", req.method(), loggable(req.uri(), route), route.kind().label());
        }
        switch (route.kind()) {
            case PING -> ResponseWriter.then(ResponseWriter.write(ch, Response.text(200, "OK\n"), keepAlive, head),
                    next);
            case METRICS -> ResponseWriter.then(ResponseWriter.write(ch, Response.of(200, DfdaemonMetrics.CONTENT_TYPE,
                    services.metrics().scrape()), keepAlive, head), next);
            case BAD_REQUEST -> ResponseWriter.then(ResponseWriter.writeTextError(ch,
                    HttpStatusException.badRequest("dfdaemon: " + route.reason()), null, keepAlive), next);
            case DENIED -> ResponseWriter.then(ResponseWriter.writeTextError(ch,
                    HttpStatusException.of(403, "dfdaemon: " + route.reason()), null, keepAlive), next);
            case REGISTRY, PROXY -> services.relay().relay(ch, req.retain(), route.target(), next);
            case REGISTRY_BLOB, PROXY_P2P -> services.blobs().respond(ch,
                    new BlobRequest(route.target(), sourceHeaders(req.headers()), route.digest()), keepAlive, next);
            case TUNNEL -> tunnel(ctx, route.target());
            default -> throw new IllegalStateException("unrouted " + route.kind());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (FullHttpRequest r; (r = queued.poll()) != null; ) {
            r.release();
        }
        ctx.fireChannelInactive();
    }

    /** The client's end-to-end headers, for the blob's source (Authorization included). */
    static Map<String, String> sourceHeaders(HttpHeaders headers) {
        HttpHeaders copy = headers.copy();
        HopByHop.strip(copy);
        Map<String, String> out = new LinkedHashMap<>();
        copy.forEach(e -> {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (!NOT_FOR_BLOB_SOURCE.contains(name)) {
                out.merge(name, e.getValue(), (a, b) -> a + ", " + b);
            }
        });
        return out;
    }

    private void tunnel(ChannelHandlerContext ctx, URI target) {
        Channel client = ctx.channel();
        ChannelFuture connect = services.upstreams().connect(client.eventLoop(), target, false, new TunnelRelay(client));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                services.metrics().streamError("upstream_connect");
                ResponseWriter.writeTextError(client, HttpStatusException.of(502, "dfdaemon: cannot reach "
                        + Upstreams.authority(target) + ": " + f.cause().getMessage()), null, false);
                return;
            }
            Channel upstream = connect.channel();
            client.closeFuture().addListener(c -> TunnelRelay.closeOnFlush(upstream));
            ChannelPipeline p = client.pipeline();
            // the 200 must not pass the keep-alive handler (no length: it would close) and nothing
            // after it is HTTP: swap the HTTP handlers for the relay, keeping only the codec's encoder
            // for the 200 itself, then drop the codec too
            p.remove(HttpPipeline.KEEP_ALIVE);
            p.remove(HttpPipeline.AGGREGATOR);
            p.replace(this, "tunnel", new TunnelRelay(upstream));
            DefaultFullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    new HttpResponseStatus(200, "Connection Established"));
            HopByHop.addVia(ok.headers());
            client.writeAndFlush(ok).addListener(w -> {
                if (w.isSuccess()) {
                    client.read();
                } else {
                    upstream.close();
                }
            });
            p.remove(HttpPipeline.CODEC);
        });
    }

    /** Method and path for logs; no query (signatures) and no user-info. */
    private static String loggable(String uri, Route route) {
        if (route.target() != null && route.kind() != Route.Kind.TUNNEL) {
            return BlobRequest.redact(route.target());
        }
        int q = uri.indexOf('?');
        String s = q < 0 ? uri : uri.substring(0, q);
        int at = s.indexOf('@');
        return at < 0 ? s : "…" + s.substring(at);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection error: {}", cause.toString());
        ctx.close();
    }
}
