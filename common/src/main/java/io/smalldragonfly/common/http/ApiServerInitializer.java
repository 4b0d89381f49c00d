package io.smalldragonfly.common.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * The pipeline of a JSON API server: idle timeout, HTTP codec, keep-alive, a 1 MiB body limit
 * (the aggregator answers 413 past it), {@link InOrderResponses}, then the {@link ServiceHandler}.
 */
public final class ApiServerInitializer extends ChannelInitializer<Channel> {

    public static final int MAX_BODY_BYTES = 1024 * 1024;

    private final HttpService service;
    private final int idleSeconds;

    public ApiServerInitializer(HttpService service, int idleSeconds) {
        this.service = service;
        this.idleSeconds = idleSeconds;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(0, 0, idleSeconds));
        p.addLast("idleClose", new IdleCloseHandler());
        p.addLast("codec", new HttpServerCodec());
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        p.addLast("aggregator", new HttpObjectAggregator(MAX_BODY_BYTES));
        p.addLast("inOrder", new InOrderResponses());
        p.addLast("service", new ServiceHandler(service));
    }

    /** Closes connections idle past the timeout; sits right after the {@link IdleStateHandler}. */
    public static final class IdleCloseHandler extends ChannelDuplexHandler {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }
    }
}
