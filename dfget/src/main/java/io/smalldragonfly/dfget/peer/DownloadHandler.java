package io.smalldragonfly.dfget.peer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.Failure;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /client/download} on the peer process's port: a thin dfget client's order (a
 * {@link DownloadOrder} as JSON) starts a download in this process, and the answer streams
 * {@link PeerEvent} lines until it ends. The client closing the connection (Ctrl-C, kill) cancels
 * the download; its files stay for a resume. Only local clients that know the home's token (from
 * its state file, readable by the home's owner alone) may order downloads: the port is also the
 * one other peers fetch pieces from. Other requests go on down the pipeline.
 */
public final class DownloadHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(DownloadHandler.class);

    public static final String PATH = "/client/download";
    public static final String TOKEN_HEADER = "X-Dfget-Token";
    static final String NDJSON = "application/x-ndjson";
    static final long PROGRESS_MILLIS = 200;

    private final PeerDownloads downloads;

    public DownloadHandler(PeerDownloads downloads) {
        super(false);
        this.downloads = downloads;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        String uri = msg.uri();
        if (!(uri.equals(PATH) || uri.startsWith(PATH + "?")) || msg.decoderResult().isFailure()) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            serve(ctx, msg);
        } finally {
            msg.release();
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest msg) {
        if (!msg.method().equals(HttpMethod.POST)) {
            refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method: " + msg.method() + " (expected POST)");
            return;
        }
        if (!(ctx.channel().remoteAddress() instanceof InetSocketAddress a) || !a.getAddress().isLoopbackAddress()) {
            refuse(ctx, HttpResponseStatus.FORBIDDEN, "downloads are ordered from this host only");
            return;
        }
        String token = msg.headers().get(TOKEN_HEADER);
        if (token == null || !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
                downloads.token().getBytes(StandardCharsets.UTF_8))) {
            refuse(ctx, HttpResponseStatus.FORBIDDEN, TOKEN_HEADER + ": missing or wrong (expected the token in "
                    + "the home's state file)");
            return;
        }
        if (!downloads.isOpen()) {
            refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "the peer process is still starting");
            return;
        }
        DownloadOrder order;
        try {
            order = Json.read(msg.content().toString(StandardCharsets.UTF_8), DownloadOrder.class);
        } catch (RuntimeException e) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "body: " + e.getMessage() + " (expected a download order)");
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, NDJSON);
        head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.writeAndFlush(head);
        downloads.start(order).whenComplete((d, err) -> ctx.executor().execute(() -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                PeerEvent e = cause instanceof IllegalArgumentException
                        ? PeerEvent.usage(cause.getMessage())
                        : PeerEvent.failed(null, new DownloadException(Failure.LOCAL_ERROR, String.valueOf(cause.getMessage())));
                finish(ctx, e);
            } else {
                follow(ctx, d);
            }
        }));
    }

    /** Streams {@code d}'s events to the client until it ends; a client that leaves cancels it. */
    private void follow(ChannelHandlerContext ctx, Download d) {
        if (!ctx.channel().isActive()) {
            d.cancel();
            return;
        }
        ctx.channel().closeFuture().addListener(f -> {
            if (!d.result().isDone()) {
                log.info("the client of {} went away; cancelling the download (its files stay for a resume)",
                        d.request().output());
                d.cancel();
            }
        });
        send(ctx, PeerEvent.accepted(d.taskId()));
        ScheduledFuture<?> progress = ctx.executor().scheduleAtFixedRate(() -> {
            Download.Progress p = d.progress();
            send(ctx, PeerEvent.progress(p.bytes(), p.total()));
        }, PROGRESS_MILLIS, PROGRESS_MILLIS, TimeUnit.MILLISECONDS);
        d.result().whenComplete((r, err) -> ctx.executor().execute(() -> {
            progress.cancel(false);
            if (err == null) {
                finish(ctx, PeerEvent.done(r));
                return;
            }
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            DownloadException de = cause instanceof DownloadException x ? x
                    : new DownloadException(Failure.LOCAL_ERROR, String.valueOf(cause));
            finish(ctx, PeerEvent.failed(d.taskId(), de));
        }));
    }

    private static void send(ChannelHandlerContext ctx, PeerEvent e) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttpContent(line(e)));
        }
    }

    private static void finish(ChannelHandlerContext ctx, PeerEvent e) {
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.write(new DefaultHttpContent(line(e)));
        ResponseWriter.end(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), false);
    }

    private static ByteBuf line(PeerEvent e) {
        byte[] json = Json.write(e);
        ByteBuf b = Unpooled.buffer(json.length + 1);
        b.writeBytes(json).writeByte('\n');
        return b;
    }

    /** A refused order: its status and a line of text; the connection closes (one order per connection). */
    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        ResponseWriter.writeTextError(ctx, HttpStatusException.of(status.code(), message), null, false);
    }
}
