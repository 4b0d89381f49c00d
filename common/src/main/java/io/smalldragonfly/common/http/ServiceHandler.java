package io.smalldragonfly.common.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.smalldragonfly.common.protocol.QueryParams;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Last handler of an API pipeline, after the aggregator: turns a {@link FullHttpRequest} into a
 * {@link Request}, calls the {@link HttpService}, and writes its {@link Response}, whatever thread
 * completes it. Undecodable requests get a 400 and the connection is closed; every exception goes
 * through {@link ErrorMapper}, every answer through {@link ResponseWriter}.
 */
public final class ServiceHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final HttpService service;

    public ServiceHandler(HttpService service) {
        this.service = service;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        boolean keepAlive = HttpUtil.isKeepAlive(msg);
        boolean head = msg.method().equals(HttpMethod.HEAD);
        if (msg.decoderResult().isFailure()) {
            ResponseWriter.writeError(ctx, HttpStatusException.badRequest("malformed HTTP request (expected HTTP/1.1): "
                    + msg.decoderResult().cause().getMessage()), null, false);
            return;
        }
        Request request;
        CompletionStage<Response> answer;
        try {
            request = toRequest(ctx.channel().remoteAddress(), msg);
        } catch (RuntimeException e) {
            ResponseWriter.write(ctx, ErrorMapper.toResponse(e, null), keepAlive, head);
            return;
        }
        try {
            answer = service.serve(request);
        } catch (RuntimeException e) {
            ResponseWriter.write(ctx, ErrorMapper.toResponse(e, request), keepAlive, head);
            return;
        }
        answer.whenComplete((response, error) -> {
            Response r = error != null ? ErrorMapper.toResponse(error, request) : response;
            if (ctx.executor().inEventLoop()) {
                ResponseWriter.write(ctx, r, keepAlive, head);
            } else {
                ctx.executor().execute(() -> ResponseWriter.write(ctx, r, keepAlive, head));
            }
        });
    }

    static Request toRequest(SocketAddress remote, FullHttpRequest msg) {
        Map<String, String> headers = new HashMap<>();
        msg.headers().forEach(e -> headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
        String remoteIp = remote instanceof InetSocketAddress isa ? isa.getAddress().getHostAddress() : "";
        int q = msg.uri().indexOf('?');
        return new Request(msg.method().name(), Request.decodePath(msg.uri()),
                QueryParams.parse(q < 0 ? "" : msg.uri().substring(q)), headers,
                ByteBufUtil.getBytes(msg.content()), remoteIp);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset peer or a codec failure on one connection must never reach other connections.
        ctx.close();
    }
}
