package io.smalldragonfly.dfdaemon.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.smalldragonfly.common.http.HttpPipeline;

/**
 * The proxy's pipeline: the {@link HttpPipeline} with keep-alive, larger request lines and headers
 * (registry tokens, ECR and ACR, run to kilobytes, signed URLs to long request lines), a request
 * aggregator (docker sends bodiless GET/HEAD to a mirror; forward-proxied bodies up to
 * {@value #MAX_REQUEST_BODY} bytes) and reads on demand, then the {@link ProxyFrontendHandler},
 * which reads one request at a time. Responses are never aggregated: they stream.
 */
final class ProxyInitializer extends ChannelInitializer<Channel> {

    static final int MAX_REQUEST_BODY = 16 * 1024 * 1024;
    static final int MAX_INITIAL_LINE = 16 * 1024;
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private final ProxyServices services;
    private final HttpPipeline http;

    ProxyInitializer(ProxyServices services, int idleSeconds) {
        this.services = services;
        this.http = HttpPipeline.idleSeconds(idleSeconds).limits(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 64 * 1024)
                .aggregate(MAX_REQUEST_BODY).readOnDemand();
    }

    @Override
    protected void initChannel(Channel ch) {
        http.addTo(ch).addLast("frontend", new ProxyFrontendHandler(services));
    }
}
