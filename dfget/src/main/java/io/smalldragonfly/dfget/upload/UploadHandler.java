package io.smalldragonfly.dfget.upload;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.Request;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.common.piece.PieceFraming;
import io.smalldragonfly.common.util.RateLimiter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves {@code GET /peer/file/<taskFileName>} with {@code Range: bytes=a-b} (PROTOCOL.md, "Peer to
 * peer"): 206 with the framed piece made on the fly — the 4-byte header, the content as a
 * {@link DefaultFileRegion} (sendfile; no byte of a piece passes through the heap), the trailer
 * byte. Other paths go on to the control service. Pipeline position: after the HTTP codec,
 * keep-alive handler, aggregator and {@link io.smalldragonfly.common.http.InOrderResponses}, before
 * {@code control}.
 *
 * <p>Uploads are capped ({@code maxUploads} at once, 503 beyond) and paced by the shared
 * {@link RateLimiter}: a response waits the limiter's delay before it is written.
 */
final class UploadHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    static final String PREFIX = "/peer/file/";

    private final PieceStore store;
    private final RateLimiter limiter;
    private final AtomicInteger uploads;
    private final int maxUploads;
    private final Runnable onActivity;

    UploadHandler(PieceStore store, RateLimiter limiter, AtomicInteger uploads, int maxUploads, Runnable onActivity) {
        super(false);
        this.store = store;
        this.limiter = limiter;
        this.uploads = uploads;
        this.maxUploads = maxUploads;
        this.onActivity = onActivity;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        onActivity.run();
        String path;
        try {
            path = Request.decodePath(req.uri());
        } catch (RuntimeException e) {
            ResponseWriter.writeError(ctx, e, null, HttpUtil.isKeepAlive(req));
            req.release();
            return;
        }
        if (!path.startsWith(PREFIX)) {
            ctx.fireChannelRead(req); // the control service owns (and releases) it
            return;
        }
        try {
            serve(ctx, req, path.substring(PREFIX.length()));
        } catch (RuntimeException e) {
            // a bad request answers 400, a bug 500 (ErrorMapper); never a connection closed without a word
            ResponseWriter.writeError(ctx, e, null, HttpUtil.isKeepAlive(req));
        } finally {
            req.release();
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest req, String name) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            ResponseWriter.writeError(ctx, HttpStatusException.of(405, "method: " + req.method() + " (expected GET)"),
                    null, keepAlive);
            return;
        }
        ServedPiece piece;
        try {
            piece = store.locate(name, req.headers().get(HttpHeaderNames.RANGE));
        } catch (RuntimeException e) {
            ResponseWriter.writeError(ctx, e, null, keepAlive);
            return;
        }
        if (uploads.incrementAndGet() > maxUploads) {
            uploads.decrementAndGet();
            ResponseWriter.writeError(ctx,
                    HttpStatusException.of(503, "busy: " + maxUploads + " uploads at once (expected a retry)"),
                    null, keepAlive);
            return;
        }
        boolean head = req.method().equals(HttpMethod.HEAD);
        long delay = head ? 0 : limiter.reserve(piece.framedLength());
        if (delay > 0) {
            // the next pipelined request waits in InOrderResponses until this answer is written
            ctx.executor().schedule(() -> write(ctx, piece, keepAlive, false), delay, TimeUnit.NANOSECONDS);
        } else {
            write(ctx, piece, keepAlive, head);
        }
    }

    private void write(ChannelHandlerContext ctx, ServedPiece piece, boolean keepAlive, boolean head) {
        HttpResponse res = ResponseWriter.head(HttpResponseStatus.PARTIAL_CONTENT,
                HttpHeaderValues.APPLICATION_OCTET_STREAM.toString(), piece.framedLength(), keepAlive);
        res.headers().set(HttpHeaderNames.CONTENT_RANGE, piece.contentRange());
        ChannelFuture last;
        if (head) {
            ctx.write(res);
            last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        } else {
            ctx.write(res);
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(piece.header())));
            // The upload server speaks plain HTTP only, so the content always goes by sendfile.
            ctx.write(new DefaultFileRegion(piece.file().toFile(), piece.contentOffset(), piece.contentLength()));
            last = ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[] {PieceFraming.TRAILER})));
        }
        last.addListener(f -> {
            uploads.decrementAndGet();
            onActivity.run();
        });
        ResponseWriter.end(last, keepAlive);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset peer concerns its connection only
    }
}
