package io.smalldragonfly.common.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** Writes a {@link Response} as a full HTTP/1.1 response; the one writer of every server's small answers. */
public final class ResponseWriter {

    private ResponseWriter() {}

    /** Writes {@code r}, closing the connection after it unless {@code keepAlive}. */
    public static ChannelFuture write(ChannelHandlerContext ctx, Response r, boolean keepAlive, boolean head) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        r.headers().forEach((k, v) -> res.headers().set(k, v));
        HttpUtil.setContentLength(res, r.body().length);
        res.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        ChannelFuture f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
        return f;
    }

    /** Answers {@code error} as the {@link ErrorMapper} says; {@code request} may be null (not decoded yet). */
    public static ChannelFuture writeError(ChannelHandlerContext ctx, Throwable error, Request request,
                                           boolean keepAlive) {
        return write(ctx, ErrorMapper.toResponse(error, request), keepAlive, false);
    }
}
