package io.smalldragonfly.dfget.upload;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.smalldragonfly.common.http.ApiServerInitializer;
import io.smalldragonfly.common.http.InOrderResponses;
import io.smalldragonfly.common.http.ServiceHandler;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.dfget.peer.DownloadHandler;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import java.util.concurrent.atomic.AtomicInteger;

/** The upload server's pipeline: idle close, HTTP codec, keep-alive, aggregator, in-order answers, downloads (a peer process), pieces, control. */
final class UploadInitializer extends ChannelInitializer<Channel> {

    private final PieceStore store;
    private final RateLimiter limiter;
    private final AtomicInteger uploads;
    private final int maxUploads;
    private final ControlService control;
    private final Runnable onActivity;
    private final PeerDownloads downloads;

    UploadInitializer(PieceStore store, RateLimiter limiter, AtomicInteger uploads, int maxUploads,
                      ControlService control, Runnable onActivity, PeerDownloads downloads) {
        this.downloads = downloads;
        this.store = store;
        this.limiter = limiter;
        this.uploads = uploads;
        this.maxUploads = maxUploads;
        this.control = control;
        this.onActivity = onActivity;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(0, 0, 120));
        p.addLast("idleClose", new ApiServerInitializer.IdleCloseHandler());
        p.addLast("codec", new HttpServerCodec());
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        p.addLast("aggregator", new HttpObjectAggregator(64 * 1024));
        p.addLast("inOrder", new InOrderResponses());
        if (downloads != null) {
            p.addLast("downloads", new DownloadHandler(downloads));
        }
        p.addLast("pieces", new UploadHandler(store, limiter, uploads, maxUploads, onActivity));
        p.addLast("control", new ServiceHandler(control));
    }
}
