package io.smalldragonfly.common.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The one writer of every server's answers: a {@link Response} as a full HTTP/1.1 response, and
 * the head and end of a response whose body follows in parts (file regions, chunks). One set of
 * rules for all of them:
 * <ul>
 *   <li>{@code Content-Length} always (a HEAD answer has the length of the body it does not send);</li>
 *   <li>{@code Connection: keep-alive} or {@code close}, as the request asked;</li>
 *   <li>the connection is closed once the answer is written when it is not kept alive, or when
 *       the write failed (the peer is gone or the body was cut: nothing more can follow on it).</li>
 * </ul>
 * Errors become a {@link Response} in the {@link ErrorMapper}, never here. {@code out} is a
 * handler's context or a channel: both write towards the socket.
 */
public final class ResponseWriter {

    private ResponseWriter() {}

    /** Writes {@code r}, no body for HEAD,, closing the connection after it unless {@code keepAlive}. */
    public static ChannelFuture write(ChannelOutboundInvoker out, Response r, boolean keepAlive, boolean head) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        r.headers().forEach((k, v) -> res.headers().set(k, v));
        HttpUtil.setContentLength(res, r.body().length);
        connection(res, keepAlive);
        return end(out.writeAndFlush(res), keepAlive);
    }

    /** Answers {@code error} with the JSON envelope, as the {@link ErrorMapper} says; {@code request} may be null. */
    public static ChannelFuture writeError(ChannelOutboundInvoker out, Throwable error, Request request,
                                           boolean keepAlive) {
        return write(out, ErrorMapper.toResponse(error, request), keepAlive, false);
    }

    /** Answers {@code error} with one line of text, as the {@link ErrorMapper} says. */
    public static ChannelFuture writeTextError(ChannelOutboundInvoker out, Throwable error, Request request,
                                               boolean keepAlive) {
        return write(out, ErrorMapper.toText(error, request), keepAlive, false);
    }

    /**
     * The head of a response whose body the caller writes in parts and ends with a
     * {@link io.netty.handler.codec.http.LastHttpContent}, passing that write to {@link #end}.
     */
    public static HttpResponse head(HttpResponseStatus status, String contentType, long contentLength,
                                    boolean keepAlive) {
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(res, contentLength);
        connection(res, keepAlive);
        return res;
    }

    /** The close rule, on the write of an answer's last part; returns {@code last}. */
    public static ChannelFuture end(ChannelFuture last, boolean keepAlive) {
        last.addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        return last;
    }

    /**
     * Runs {@code next} once {@code written} is on the wire, for a server that reads one request at
     * a time ({@code AUTO_READ} off) and asks for the next there; a failed write runs nothing (the
     * connection closes).
     */
    public static ChannelFuture then(ChannelFuture written, Runnable next) {
        written.addListener(f -> {
            if (f.isSuccess()) {
                next.run();
            }
        });
        return written;
    }

    private static void connection(HttpResponse res, boolean keepAlive) {
        res.headers().set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    }
}
