package io.smalldragonfly.dfdaemon.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.smalldragonfly.common.http.ApiServerInitializer;

/**
 * The proxy's pipeline: idle timeout, HTTP codec, keep-alive, a request aggregator (docker sends
 * bodiless GET/HEAD to a mirror; forward-proxied bodies up to {@value #MAX_REQUEST_BODY} bytes),
 * then the {@link ProxyFrontendHandler}. Responses are never aggregated: they stream.
 * {@code AUTO_READ} is off; the frontend reads one request at a time.
 */
final class ProxyInitializer extends ChannelInitializer<Channel> {

    static final int MAX_REQUEST_BODY = 16 * 1024 * 1024;
    static final int MAX_INITIAL_LINE = 16 * 1024;
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private final ProxyServices services;
    private final int idleSeconds;

    ProxyInitializer(ProxyServices services, int idleSeconds) {
        this.services = services;
        this.idleSeconds = idleSeconds;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setOption(ChannelOption.AUTO_READ, false);
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(0, 0, idleSeconds));
        p.addLast("idleClose", new ApiServerInitializer.IdleCloseHandler());
        // registry tokens (ECR, ACR) run to kilobytes, signed URLs to long request lines
        p.addLast("codec", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 64 * 1024));
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        p.addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BODY));
        p.addLast("frontend", new ProxyFrontendHandler(services));
    }
}
