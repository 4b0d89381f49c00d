package io.smalldragonfly.supernode.api;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.smalldragonfly.common.http.HttpPipeline;
import io.smalldragonfly.common.http.InOrderResponses;
import io.smalldragonfly.common.http.ResponseWriter;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.supernode.cdn.CdnManager;

/**
 * The download port's pipeline: the {@link HttpPipeline} with a small aggregator (piece requests
 * carry no body; larger ones get 413) and {@link InOrderResponses} (pipelined requests wait for
 * the previous body), then the {@link PieceDownloadHandler}. No keep-alive handler: the piece
 * handler's answers end in file regions, and {@link ResponseWriter#end} closes after them.
 */
public final class DownloadServerInitializer extends ChannelInitializer<Channel> {

    private final CdnManager cdn;
    private final RateLimiter limiter;
    private final HttpPipeline http;

    public DownloadServerInitializer(CdnManager cdn, RateLimiter limiter, int idleSeconds) {
        this.cdn = cdn;
        this.limiter = limiter;
        this.http = HttpPipeline.idleSeconds(idleSeconds).withoutKeepAliveHandler().aggregate(8192).inOrderResponses();
    }

    @Override
    protected void initChannel(Channel ch) {
        http.addTo(ch).addLast("pieces", new PieceDownloadHandler(cdn, limiter));
    }
}
