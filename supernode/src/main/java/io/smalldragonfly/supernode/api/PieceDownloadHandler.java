package io.smalldragonfly.supernode.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.smalldragonfly.common.http.ByteRange;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.RangeNotSatisfiableException;
import io.smalldragonfly.common.http.Request;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.supernode.cdn.CdnManager;
import io.smalldragonfly.supernode.cdn.PieceFile;
import java.io.File;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Last handler of the download port's pipeline (after the aggregator): serves
 * {@code GET /qtdown/<3>/<taskId>} from the CDN's cache file, as the original's nginx did.
 * A Range inside the written pieces gets 206 with the bytes, sent zero-copy with
 * {@link DefaultFileRegion} in chunks paced by the CDN's upload {@link RateLimiter}; a range
 * outside them 416; an unknown task 404. The path is matched against a task id pattern and the
 * file comes from the CDN's own table, so no request names a file.
 */
final class PieceDownloadHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Pattern PATH = Pattern.compile("/qtdown/([0-9a-f]{3})/([0-9a-f]{64})");
    private static final long MAX_CHUNK = 1024 * 1024;

    private final CdnManager cdn;
    private final RateLimiter limiter;

    PieceDownloadHandler(CdnManager cdn, RateLimiter limiter) {
        this.cdn = cdn;
        this.limiter = limiter;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        try {
            serve(ctx, req);
        } catch (RuntimeException e) {
            // a bad request answers 400, a bug 500 (ErrorMapper); never a connection closed without a word
            ResponseWriter.writeError(ctx, e, null, HttpUtil.isKeepAlive(req));
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            ResponseWriter.writeError(ctx, HttpStatusException.badRequest("malformed HTTP request (expected HTTP/1.1)"),
                    null, false);
            return;
        }
        boolean head = req.method().equals(HttpMethod.HEAD);
        if (!head && !req.method().equals(HttpMethod.GET)) {
            ResponseWriter.writeError(ctx,
                    HttpStatusException.of(405, "method: " + req.method() + " (expected GET or HEAD)"), null, keepAlive);
            return;
        }
        Matcher m = PATH.matcher(Request.decodePath(req.uri()));
        if (!m.matches() || !m.group(2).startsWith(m.group(1))) {
            ResponseWriter.writeError(ctx, HttpStatusException.notFound("path: '" + req.uri()
                    + "' (expected /qtdown/<first 3 of taskId>/<taskId>)"), null, keepAlive);
            return;
        }
        Optional<PieceFile> opened = cdn.acquire(m.group(2));
        if (opened.isEmpty()) {
            ResponseWriter.writeError(ctx, HttpStatusException.notFound("task " + m.group(2) + " is not cached here"),
                    null, keepAlive);
            return;
        }
        PieceFile file = opened.get();
        ByteRange range;
        boolean partial;
        try {
            String header = req.headers().get(HttpHeaderNames.RANGE);
            if (header == null) {
                if (!file.complete()) {
                    throw new RangeNotSatisfiableException("task is still being cached (expected a Range of written pieces)",
                            file.length());
                }
                range = file.length() == 0 ? null : new ByteRange(0, file.length() - 1);
                partial = false;
            } else {
                range = ByteRange.parse(header, file.length());
                if (!file.covers(range.start(), range.end())) {
                    throw new RangeNotSatisfiableException("Range: '" + header
                            + "' covers pieces not cached yet (expected written pieces)", file.length());
                }
                partial = true;
            }
        } catch (HttpStatusException e) {
            file.close();
            ResponseWriter.writeError(ctx, e, null, keepAlive);
            return;
        }
        long length = range == null ? 0 : range.length();
        HttpResponse res = ResponseWriter.head(partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK,
                HttpHeaderValues.APPLICATION_OCTET_STREAM.toString(), length, keepAlive);
        res.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        if (partial) {
            res.headers().set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(file.length()));
        }
        ctx.write(res);
        if (head || range == null) {
            finish(ctx, file, keepAlive);
            return;
        }
        sendChunk(ctx, file, file.path().toFile(), range.start(), range.end(), keepAlive);
    }

    /** Sends bytes {@code pos..end} one paced chunk at a time; the next chunk goes when this one is written. */
    private void sendChunk(ChannelHandlerContext ctx, PieceFile file, File data, long pos, long end, boolean keepAlive) {
        if (pos > end) {
            finish(ctx, file, keepAlive);
            return;
        }
        long rate = limiter.rate();
        long chunk = rate == 0 ? end - pos + 1 : Math.min(end - pos + 1, Math.max(64 * 1024, Math.min(MAX_CHUNK, rate / 10)));
        long wait = limiter.reserve(chunk);
        Runnable send = () -> ctx.writeAndFlush(new DefaultFileRegion(data, pos, chunk)).addListener(f -> {
            if (!f.isSuccess()) {
                file.close();
                ctx.close();
                return;
            }
            cdn.uploaded(chunk);
            sendChunk(ctx, file, data, pos + chunk, end, keepAlive);
        });
        if (wait > 0) {
            ctx.executor().schedule(send, wait, TimeUnit.NANOSECONDS);
        } else {
            send.run();
        }
    }

    private static void finish(ChannelHandlerContext ctx, PieceFile file, boolean keepAlive) {
        ResponseWriter.end(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive)
                .addListener(f -> file.close());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // One broken connection never affects another; the PieceFile is released by the write listeners.
        ctx.close();
    }
}
