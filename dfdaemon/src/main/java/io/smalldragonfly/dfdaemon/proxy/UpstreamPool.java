package io.smalldragonfly.dfdaemon.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle keep-alive connections to registries and origins, so a pull's many small requests (ping,
 * HEAD, manifests) do not each pay a TCP and TLS handshake.
 *
 * <p>Threads: one pool per event loop, used only from that loop's thread (a relay runs on its
 * client's loop, and so does the upstream channel it creates), so nothing here is shared or
 * locked. An idle connection's last handler is {@link Idle}: data or a close from the server
 * while idle just closes it; after {@value #IDLE_SECONDS} s idle it is closed.
 */
final class UpstreamPool {

    static final int MAX_IDLE_PER_KEY = 8;
    static final int IDLE_SECONDS = 30;

    private final FastThreadLocal<Map<String, Deque<Channel>>> idle = new FastThreadLocal<>() {
        @Override
        protected Map<String, Deque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };

    /** {@code scheme://host:port}: connections are shared only with the same endpoint and TLS setting. */
    static String key(java.net.URI target) {
        return target.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + target.getHost().toLowerCase(java.util.Locale.ROOT)
                + ":" + io.smalldragonfly.dfdaemon.config.DfdaemonConfig.effectivePort(target);
    }

    /** An open idle connection to {@code key}, now owned by the caller, or null. On the event loop. */
    Channel acquire(String key) {
        Deque<Channel> q = idle.get().get(key);
        while (q != null && !q.isEmpty()) {
            Channel ch = q.pollLast();
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    /** Parks {@code ch} (a finished exchange, response read to its end) for reuse. On its event loop. */
    void release(String key, Channel ch) {
        Idle marker = new Idle();
        ch.pipeline().replace("relay", "relay", marker);
        Deque<Channel> q = idle.get().computeIfAbsent(key, k -> new ArrayDeque<>());
        q.addLast(ch);
        if (q.size() > MAX_IDLE_PER_KEY) {
            q.pollFirst().close();
        }
        ch.closeFuture().addListener(f -> q.remove(ch));
        // watch the idle connection: a close or stray bytes from the server are noticed now, not
        // when the next request is already on its way
        ch.read();
        ch.eventLoop().schedule(() -> {
            if (ch.pipeline().get("relay") == marker) {
                ch.close();
            }
        }, IDLE_SECONDS, TimeUnit.SECONDS);
    }

    /** The last handler of a parked connection. */
    static final class Idle extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // nothing is expected between exchanges: the connection is no longer in a known state
            ReferenceCountUtil.release(msg);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
