package io.smalldragonfly.common.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * The pipeline of a JSON API server: the {@link HttpPipeline} with keep-alive, a 1 MiB body limit
 * and {@link InOrderResponses}, then the {@link ServiceHandler}.
 */
public final class ApiServerInitializer extends ChannelInitializer<Channel> {

    public static final int MAX_BODY_BYTES = 1024 * 1024;

    private final HttpService service;
    private final HttpPipeline http;

    public ApiServerInitializer(HttpService service, int idleSeconds) {
        this.service = service;
        this.http = HttpPipeline.idleSeconds(idleSeconds).aggregate(MAX_BODY_BYTES).inOrderResponses();
    }

    @Override
    protected void initChannel(Channel ch) {
        http.addTo(ch).addLast("service", new ServiceHandler(service));
    }
}
