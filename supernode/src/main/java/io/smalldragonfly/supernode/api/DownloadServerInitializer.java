package io.smalldragonfly.supernode.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.smalldragonfly.common.http.ApiServerInitializer;
import io.smalldragonfly.common.http.InOrderResponses;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.supernode.cdn.CdnManager;

/**
 * The download port's pipeline: idle timeout, HTTP codec, a small aggregator (piece requests
 * carry no body; larger ones get 413), {@link InOrderResponses} (pipelined requests wait for the
 * previous body), then the {@link PieceDownloadHandler}. Keep-alive is handled by the piece
 * handler itself, since its responses end in file regions.
 */
public final class DownloadServerInitializer extends ChannelInitializer<Channel> {

    private final CdnManager cdn;
    private final RateLimiter limiter;
    private final int idleSeconds;

    public DownloadServerInitializer(CdnManager cdn, RateLimiter limiter, int idleSeconds) {
        this.cdn = cdn;
        this.limiter = limiter;
        this.idleSeconds = idleSeconds;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(0, 0, idleSeconds));
        p.addLast("idleClose", new ApiServerInitializer.IdleCloseHandler());
        p.addLast("codec", new HttpServerCodec());
        p.addLast("aggregator", new HttpObjectAggregator(8192));
        p.addLast("inOrder", new InOrderResponses());
        p.addLast("pieces", new PieceDownloadHandler(cdn, limiter));
    }
}
