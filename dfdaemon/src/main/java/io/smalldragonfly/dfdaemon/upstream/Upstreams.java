package io.smalldragonfly.dfdaemon.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.smalldragonfly.common.http.Transport;
import io.smalldragonfly.common.source.SourceTls;
import io.smalldragonfly.common.tls.TrustStores;
import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Client connections from dfdaemon to registries and origins: plain or TLS, {@code AUTO_READ}
 * off (the caller reads when its downstream can take more, STYLE.md "Proxy backpressure").
 *
 * <p>TLS to the registry trusts the JVM's CAs plus {@code --registry-ca} / {@code certs}, or
 * anything with {@code --insecure} (no chain or host-name check); TLS to any other host uses the
 * JVM's CAs with host-name verification.
 */
public final class Upstreams {

    public static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final String registryHost;
    private final int registryPort;
    private final SslContext registryTls;
    private final SslContext defaultTls;
    private final SourceTls registrySourceTls;
    private final SourceTls defaultSourceTls = SourceTls.jvmDefault();

    public Upstreams(DfdaemonConfig config) {
        this.registryHost = config.registry().getHost().toLowerCase(Locale.ROOT);
        this.registryPort = config.registryPort();
        try {
            this.defaultTls = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
            this.registryTls = registryContext(config.registryCas(), config.insecure());
        } catch (SSLException e) {
            throw new IllegalStateException("TLS: cannot set up client contexts: " + e.getMessage(), e);
        }
        this.registrySourceTls = config.insecure() ? SourceTls.insecure()
                : SourceTls.withExtraCas(config.registryCas(), "registry CA");
    }

    private static SslContext registryContext(List<Path> cas, boolean insecure) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient();
        if (insecure) {
            return b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null).build();
        }
        if (cas.isEmpty()) {
            return b.endpointIdentificationAlgorithm("HTTPS").build();
        }
        return b.trustManager(TrustStores.withExtraCas(cas, "registry CA")).endpointIdentificationAlgorithm("HTTPS").build();
    }

    /**
     * Connects to {@code target}'s host and port on {@code group} (pass the inbound channel's event
     * loop to share its thread) with pipeline {@code [tls,] codec, handler}, or {@code [tls,] handler}
     * when {@code http} is false (tunnels: raw bytes, never TLS from our side).
     */
    public ChannelFuture connect(EventLoopGroup group, URI target, boolean http, ChannelHandler handler) {
        String host = target.getHost();
        int port = DfdaemonConfig.effectivePort(target);
        boolean tls = http && "https".equalsIgnoreCase(target.getScheme());
        return new Bootstrap()
                .group(group)
                .channel(Transport.clientChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls) {
                            p.addLast("tls", contextFor(host, port).newHandler(ch.alloc(), host, port));
                        }
                        if (http) {
                            p.addLast("codec", new HttpClientCodec(16 * 1024, 64 * 1024, 64 * 1024));
                        }
                        p.addLast("relay", handler);
                    }
                })
                .connect(host, port);
    }

    private SslContext contextFor(String host, int port) {
        return isRegistry(host, port) ? registryTls : defaultTls;
    }

    /** The same trust as {@link #connect}'s, for the blocking source client of the direct path. */
    public SourceTls sourceTls(URI target) {
        return isRegistry(target.getHost(), DfdaemonConfig.effectivePort(target)) ? registrySourceTls : defaultSourceTls;
    }

    private boolean isRegistry(String host, int port) {
        return host.toLowerCase(Locale.ROOT).equals(registryHost) && port == registryPort;
    }

    /** {@code host[:port]} as the {@code Host} header of a request to {@code target}. */
    public static String authority(URI target) {
        String host = target.getHost().contains(":") && !target.getHost().startsWith("[")
                ? "[" + target.getHost() + "]" : target.getHost();
        return target.getPort() < 0 ? host : host + ":" + target.getPort();
    }

    /** {@code path?query} of {@code target}, raw, as an origin-form request target. */
    public static String originForm(URI target) {
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        return target.getRawQuery() == null ? path : path + "?" + target.getRawQuery();
    }
}
