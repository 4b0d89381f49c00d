package io.smalldragonfly.dfget.upload;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.smalldragonfly.common.http.HttpPipeline;
import io.smalldragonfly.common.http.ServiceHandler;
import io.smalldragonfly.common.util.RateLimiter;
import io.smalldragonfly.dfget.peer.RunHandler;
import io.smalldragonfly.dfget.peer.PeerDownloads;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upload server's pipeline: the {@link HttpPipeline} (two minutes idle, keep-alive, 64 KiB
 * bodies, in-order answers), then downloads (a peer process), pieces, control.
 */
final class UploadInitializer extends ChannelInitializer<Channel> {

    private static final HttpPipeline HTTP = HttpPipeline.idleSeconds(120).aggregate(64 * 1024).inOrderResponses();

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
        ChannelPipeline p = HTTP.addTo(ch);
        if (downloads != null) {
            p.addLast("downloads", new RunHandler(downloads));
        }
        p.addLast("pieces", new UploadHandler(store, limiter, uploads, maxUploads, onActivity));
        p.addLast("control", new ServiceHandler(control));
    }
}
