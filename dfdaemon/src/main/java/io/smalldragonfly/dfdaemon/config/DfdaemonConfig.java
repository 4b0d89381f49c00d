package io.smalldragonfly.dfdaemon.config;

import io.smalldragonfly.common.task.UrlFilter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything dfdaemon runs with, built once from flags and the YAML file ({@code DfdaemonCommand}).
 *
 * @param registry       the mirrored registry, {@code http(s)://host[:port]}
 * @param rules          forward-proxy rules, first match wins
 * @param allowedHosts   hosts the forward proxy and CONNECT may reach, besides the registry
 * @param registryCas    PEM files trusted for an HTTPS registry (empty: the JVM's default trust)
 * @param insecure       accept any certificate and host name from the registry
 * @param rateLimit      bytes per second per blob, 0 = unlimited
 * @param noBackToSource never fetch a blob straight from the registry when P2P fails
 * @param nodes          supernodes, for the P2P engine
 * @param p2pStartTimeout how long the P2P path may take to start a blob (first byte ready) before
 *                       dfdaemon gives up on it and falls back to the registry
 */
public record DfdaemonConfig(String bindHost, int port, URI registry, List<ProxyRule> rules,
                             List<HostPattern> allowedHosts, List<Path> registryCas, boolean insecure,
                             UrlFilter urlFilter, long rateLimit, boolean noBackToSource,
                             List<String> nodes, Path home, boolean verbose, Duration p2pStartTimeout) {

    public static final URI DEFAULT_REGISTRY = URI.create("https://index.docker.io");
    public static final Duration DEFAULT_P2P_START_TIMEOUT = Duration.ofSeconds(30);

    public DfdaemonConfig {
        Objects.requireNonNull(registry, "registry");
        rules = List.copyOf(rules);
        allowedHosts = List.copyOf(allowedHosts);
        registryCas = List.copyOf(registryCas);
        nodes = List.copyOf(nodes);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected 0..65535, 0 = any free port)");
        }
        if (p2pStartTimeout.isNegative() || p2pStartTimeout.isZero()) {
            throw new IllegalArgumentException("p2p start timeout: " + p2pStartTimeout + " (expected > 0)");
        }
        if (rateLimit < 0) {
            throw new IllegalArgumentException("ratelimit: " + rateLimit + " (expected >= 0, 0 = unlimited)");
        }
    }

    /** Defaults for tests and embedding: 127.0.0.1, any free port, no rules, no limits. */
    public static DfdaemonConfig forRegistry(URI registry, Path home) {
        return new DfdaemonConfig("127.0.0.1", 0, registry, List.of(), List.of(), List.of(), false,
                UrlFilter.parse("Signature&Expires&OSSAccessKeyId"), 0, false, List.of(), home, false,
                DEFAULT_P2P_START_TIMEOUT);
    }

    public DfdaemonConfig withRules(List<ProxyRule> newRules) {
        return new DfdaemonConfig(bindHost, port, registry, newRules, allowedHosts, registryCas, insecure, urlFilter,
                rateLimit, noBackToSource, nodes, home, verbose, p2pStartTimeout);
    }

    public DfdaemonConfig withAllowedHosts(List<HostPattern> hosts) {
        return new DfdaemonConfig(bindHost, port, registry, rules, hosts, registryCas, insecure, urlFilter,
                rateLimit, noBackToSource, nodes, home, verbose, p2pStartTimeout);
    }

    public DfdaemonConfig withNoBackToSource(boolean notbs) {
        return new DfdaemonConfig(bindHost, port, registry, rules, allowedHosts, registryCas, insecure, urlFilter,
                rateLimit, notbs, nodes, home, verbose, p2pStartTimeout);
    }

    public DfdaemonConfig withTls(List<Path> cas, boolean insecureTls) {
        return new DfdaemonConfig(bindHost, port, registry, rules, allowedHosts, cas, insecureTls, urlFilter,
                rateLimit, noBackToSource, nodes, home, verbose, p2pStartTimeout);
    }

    public DfdaemonConfig withRateLimit(long bytesPerSecond) {
        return new DfdaemonConfig(bindHost, port, registry, rules, allowedHosts, registryCas, insecure, urlFilter,
                bytesPerSecond, noBackToSource, nodes, home, verbose, p2pStartTimeout);
    }

    public DfdaemonConfig withP2pStartTimeout(Duration timeout) {
        return new DfdaemonConfig(bindHost, port, registry, rules, allowedHosts, registryCas, insecure, urlFilter,
                rateLimit, noBackToSource, nodes, home, verbose, timeout);
    }

    public int registryPort() {
        return effectivePort(registry);
    }

    public static int effectivePort(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
