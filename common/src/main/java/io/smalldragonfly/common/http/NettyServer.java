package io.smalldragonfly.common.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bootstrap, bind and graceful shutdown of one Netty server. Each binary wraps one or more of
 * these (the supernode's API and download ports, dfget's upload port, dfdaemon's proxy port).
 * Port 0 binds an ephemeral port; {@link #port()} tells which, so tests and many instances on
 * one host never collide.
 */
public final class NettyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NettyServer.class);

    private final String name;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;

    private NettyServer(String name, EventLoopGroup boss, EventLoopGroup workers, Channel channel) {
        this.name = name;
        this.boss = boss;
        this.workers = workers;
        this.channel = channel;
    }

    /**
     * Binds {@code host:port} and serves with {@code initializer} on {@code workerThreads} event loops
     * (0 = Netty's default, twice the cores).
     *
     * @throws java.io.UncheckedIOException-like {@link IllegalStateException} when the port is taken
     */
    public static NettyServer start(String name, String host, int port, int workerThreads,
                                    ChannelInitializer<Channel> initializer) {
        EventLoopGroup boss = Transport.newGroup(name + "-boss", 1);
        EventLoopGroup workers = Transport.newGroup(name, workerThreads);
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(initializer)
                    .bind(host, port)
                    .sync()
                    .channel();
            NettyServer server = new NettyServer(name, boss, workers, ch);
            log.info("{} listening on {}:{} ({})", name, host, server.port(), Transport.name());
            return server;
        } catch (Exception e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException(name + ": cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); expected a free port, or use another with --port", e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public String name() {
        return name;
    }

    /** Stops accepting, lets in-flight responses finish for up to two seconds, then closes. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("{} stopped", name);
    }
}
