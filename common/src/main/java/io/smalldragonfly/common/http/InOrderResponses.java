package io.smalldragonfly.common.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * HTTP/1.1 pipelining for handlers whose answers end later than they start (a body streamed as
 * paced {@code FileRegion}s, a response completed on another thread): a request is passed on only
 * once the previous response's last part ({@link LastHttpContent}, which a full response is too)
 * has been written to the socket. Requests that arrive meanwhile wait here, and reading stops
 * until they are answered, so a client that pipelines many requests cannot make the server buffer
 * them. Without this, a second response's head went out in the middle of the first one's body, and
 * a {@code Connection: close} answer cut an earlier body short.
 *
 * <p>Pipeline position: right after the aggregator, before the handlers that answer.
 */
public final class InOrderResponses extends ChannelDuplexHandler {

    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    /** A request was passed on and its response is not fully written yet. */
    private boolean answering;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (answering) {
            waiting.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        answering = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent) {
            ChannelPromise p = promise.unvoid();
            p.addListener(f -> next(ctx));
            ctx.write(msg, p);
        } else {
            ctx.write(msg, promise);
        }
    }

    private void next(ChannelHandlerContext ctx) {
        answering = false;
        if (!ctx.channel().isActive()) {
            releaseWaiting();
            return;
        }
        Object m = waiting.poll();
        if (waiting.isEmpty()) {
            ctx.channel().config().setAutoRead(true);
        }
        if (m != null) {
            answering = true;
            ctx.fireChannelRead(m);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseWaiting();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseWaiting();
    }

    private void releaseWaiting() {
        for (Object m; (m = waiting.poll()) != null; ) {
            ReferenceCountUtil.release(m);
        }
    }
}
