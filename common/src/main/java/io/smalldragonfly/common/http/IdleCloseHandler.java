package io.smalldragonfly.common.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Closes a connection idle past the timeout of the {@link io.netty.handler.timeout.IdleStateHandler}
 * right before it, so a client that opens connections and leaves them never holds a server's file
 * descriptors for long. Stateless, hence one instance for every channel.
 */
@ChannelHandler.Sharable
public final class IdleCloseHandler extends ChannelDuplexHandler {

    public static final IdleCloseHandler INSTANCE = new IdleCloseHandler();

    private IdleCloseHandler() {}

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }
}
