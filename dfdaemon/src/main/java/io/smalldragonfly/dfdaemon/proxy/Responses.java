package io.smalldragonfly.dfdaemon.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Small complete answers dfdaemon makes itself: pings, metrics, and errors of the proxy. */
final class Responses {

    static final String TEXT = "text/plain; charset=utf-8";

    private Responses() {}

    static void text(Channel ch, HttpResponseStatus status, String text, String wwwAuthenticate, Runnable done) {
        bytes(ch, status, TEXT, (text + "\n").getBytes(StandardCharsets.UTF_8), wwwAuthenticate, done);
    }

    /** Writes a full response; {@code done} runs once it is on the wire (the keep-alive handler closes if needed). */
    static void bytes(Channel ch, HttpResponseStatus status, String contentType, byte[] body,
                      String wwwAuthenticate, Runnable done) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        if (wwwAuthenticate != null) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, wwwAuthenticate);
        }
        HttpUtil.setContentLength(res, body.length);
        ch.writeAndFlush(res).addListener(f -> {
            if (f.isSuccess()) {
                done.run();
            }
        });
    }
}
