package io.smalldragonfly.dfdaemon.blob;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.upstream.HopByHop;
import io.smalldragonfly.dfdaemon.upstream.Upstreams;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a blob straight from its source (the registry, or an origin in proxy mode): the
 * fallback when P2P fails, and the only path until the dfget engine is plugged in.
 *
 * <p>Follows up to {@value #MAX_REDIRECTS} redirects (registries send blob GETs to pre-signed
 * storage URLs); {@code Authorization} goes only to the original host and port, never to a
 * redirect target elsewhere (a pre-signed URL carries its own credentials, and S3 rejects a
 * second kind). The body streams through a {@link ChannelInputStream}: nothing is buffered
 * beyond its high-water mark.
 */
public final class DirectBlobFetcher implements BlobFetcher {

    static final int MAX_REDIRECTS = 10;

    private static final Logger log = LoggerFactory.getLogger(DirectBlobFetcher.class);

    private final Upstreams upstreams;
    private final EventLoopGroup group;

    public DirectBlobFetcher(Upstreams upstreams, EventLoopGroup group) {
        this.upstreams = upstreams;
        this.group = group;
    }

    @Override
    public CompletableFuture<BlobStream> fetch(BlobRequest request) {
        CompletableFuture<BlobStream> result = new CompletableFuture<>();
        attempt(request.url(), request.url(), request.headers(), 0, result);
        return result;
    }

    private void attempt(URI origin, URI url, Map<String, String> headers, int redirects,
                         CompletableFuture<BlobStream> result) {
        Response handler = new Response(origin, url, headers, redirects, result);
        upstreams.connect(group, url, true, handler).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new IOException("cannot connect to " + Upstreams.authority(url) + ": "
                        + f.cause().getMessage(), f.cause()));
                return;
            }
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            DefaultFullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                    Upstreams.originForm(url));
            headers.forEach((k, v) -> {
                if (!HopByHop.isHopByHop(k)) {
                    get.headers().set(k, v);
                }
            });
            get.headers().set(HttpHeaderNames.HOST, Upstreams.authority(url));
            get.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            HopByHop.addVia(get.headers());
            ch.writeAndFlush(get).addListener(w -> {
                if (w.isSuccess()) {
                    ch.read();
                } else {
                    result.completeExceptionally(new IOException("cannot send the request to "
                            + Upstreams.authority(url) + ": " + w.cause().getMessage(), w.cause()));
                    ch.close();
                }
            });
        });
    }

    private static boolean sameEndpoint(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && DfdaemonConfig.effectivePort(a) == DfdaemonConfig.effectivePort(b);
    }

    /** The last handler of one attempt's connection; runs on its event loop. */
    private final class Response extends ChannelInboundHandlerAdapter {
        private final URI origin;
        private final URI url;
        private final Map<String, String> headers;
        private final int redirects;
        private final CompletableFuture<BlobStream> result;
        private ChannelInputStream body;
        private boolean finished;

        Response(URI origin, URI url, Map<String, String> headers, int redirects, CompletableFuture<BlobStream> result) {
            this.origin = origin;
            this.url = url;
            this.headers = headers;
            this.redirects = redirects;
            this.result = result;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (finished) {
                    return;
                }
                if (msg instanceof HttpResponse res) {
                    head(ctx, res);
                }
                if (msg instanceof HttpContent content && body != null) {
                    body.offer(content.content().retain());
                    if (content instanceof LastHttpContent) {
                        finished = true;
                        body.end();
                        ctx.close();
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (body != null && !finished) {
                body.demand();
            }
        }

        private void head(ChannelHandlerContext ctx, HttpResponse res) {
            int status = res.status().code();
            String location = res.headers().get(HttpHeaderNames.LOCATION);
            if (status >= 300 && status < 400 && location != null) {
                finished = true;
                ctx.close();
                if (redirects >= MAX_REDIRECTS) {
                    result.completeExceptionally(new IOException("more than " + MAX_REDIRECTS + " redirects from "
                            + BlobRequest.redact(origin)));
                    return;
                }
                URI next;
                try {
                    next = url.resolve(location.trim());
                } catch (IllegalArgumentException e) {
                    result.completeExceptionally(new IOException("bad redirect Location from "
                            + BlobRequest.redact(url) + " (expected a URL)"));
                    return;
                }
                Map<String, String> nextHeaders = headers;
                if (!sameEndpoint(origin, next)) {
                    nextHeaders = new LinkedHashMap<>(headers);
                    nextHeaders.remove("authorization");
                }
                log.debug("blob {} redirected to {}", BlobRequest.redact(url), BlobRequest.redact(next));
                attempt(origin, next, nextHeaders, redirects + 1, result);
                return;
            }
            if (status != 200) {
                finished = true;
                ctx.close();
                result.completeExceptionally(new SourceStatusException(status, BlobRequest.redact(url),
                        Optional.ofNullable(res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE))));
                return;
            }
            long length = HttpUtil.isTransferEncodingChunked(res) ? -1 : HttpUtil.getContentLength(res, -1L);
            body = new ChannelInputStream(ctx.channel());
            result.complete(BlobStream.of(length, body));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!finished) {
                finished = true;
                IOException e = new IOException("connection to " + Upstreams.authority(url) + " closed before the end");
                if (body != null) {
                    body.fail(e);
                } else {
                    result.completeExceptionally(e);
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!finished) {
                finished = true;
                IOException e = new IOException("fetching " + BlobRequest.redact(url) + " failed: " + cause.getMessage(), cause);
                if (body != null) {
                    body.fail(e);
                } else {
                    result.completeExceptionally(e);
                }
            }
            ctx.close();
        }
    }
}
