package io.smalldragonfly.dfdaemon.proxy;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.config.HostPattern;
import io.smalldragonfly.dfdaemon.config.ProxyRule;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The routing table of dfdaemon (PROTOCOL.md, "dfdaemon"), free of Netty so it is tested as a
 * table:
 * <ul>
 *   <li>relative URIs are a reverse proxy to the registry; only {@code GET} of
 *       {@code /v2/<name>/blobs/sha256:<64 hex>} goes through the blob fetcher;</li>
 *   <li>absolute URIs are a forward proxy: {@code GET}s matching a non-direct rule go through the
 *       blob fetcher, everything else is passed through; only to allowed hosts;</li>
 *   <li>{@code CONNECT host:port} is tunnelled, only to allowed hosts.</li>
 * </ul>
 * The registry's own host is always allowed; other hosts only when on the allow-list, so dfdaemon
 * is not an open relay unless configured with {@code *}.
 */
final class Router {

    /** The registry API's blob path; the original matched {@code ^.+/blobs/sha256.*$}. */
    private static final Pattern BLOB = Pattern.compile("^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$");

    private final URI registry;
    private final String registryBase;
    private final List<ProxyRule> rules;
    private final List<HostPattern> allowed;

    Router(DfdaemonConfig config) {
        this.registry = config.registry();
        String base = registry.toString();
        this.registryBase = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.rules = config.rules();
        List<HostPattern> hosts = new ArrayList<>(config.allowedHosts());
        hosts.add(new HostPattern(registry.getHost(), DfdaemonConfig.effectivePort(registry)));
        this.allowed = List.copyOf(hosts);
    }

    Route route(String method, String requestTarget) {
        if (method.equals("CONNECT")) {
            return tunnel(requestTarget);
        }
        if (requestTarget.startsWith("/")) {
            return relative(method, requestTarget);
        }
        return absolute(method, requestTarget);
    }

    private Route relative(String method, String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (path.equals("/_ping")) {
            return Route.of(Route.Kind.PING, null);
        }
        if (path.equals("/metrics")) {
            return Route.of(Route.Kind.METRICS, null);
        }
        URI upstream;
        try {
            upstream = new URI(registryBase + target);
        } catch (URISyntaxException e) {
            return Route.refused(Route.Kind.BAD_REQUEST, "request target is not a valid URI (expected a"
                    + " percent-encoded path): " + e.getReason());
        }
        Matcher m = BLOB.matcher(path);
        if (method.equals("GET") && m.matches()) {
            // the blob API takes no query; containerd's ?ns=docker.io would only make docker and
            // containerd pulls of one layer different URLs (and different tasks)
            return new Route(Route.Kind.REGISTRY_BLOB, URI.create(registryBase + path), Optional.of(m.group(2)), "");
        }
        return Route.of(Route.Kind.REGISTRY, upstream);
    }

    private Route absolute(String method, String target) {
        URI uri;
        try {
            uri = new URI(target);
        } catch (URISyntaxException e) {
            return Route.refused(Route.Kind.BAD_REQUEST, "request target is not a valid URI: " + e.getReason()
                    + " (expected /path or http://host/path)");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            return Route.refused(Route.Kind.BAD_REQUEST, "request target '" + scheme
                    + ":...' (expected /path or an http:// URL)");
        }
        if (!allowed(uri.getHost(), DfdaemonConfig.effectivePort(uri))) {
            return Route.refused(Route.Kind.DENIED, "proxying to " + uri.getHost()
                    + " is not allowed (expected a host on dfdaemon's allow-list, --allow-host)");
        }
        for (ProxyRule rule : rules) {
            if (rule.matches(target)) {
                if (rule.direct() || !method.equals("GET")) {
                    return Route.of(Route.Kind.PROXY, uri);
                }
                URI fetch = rule.useHttps() && scheme.equals("http") ? https(uri) : uri;
                return Route.of(Route.Kind.PROXY_P2P, fetch);
            }
        }
        return Route.of(Route.Kind.PROXY, uri);
    }

    private Route tunnel(String authority) {
        URI uri;
        try {
            uri = new URI("tcp://" + authority);
        } catch (URISyntaxException e) {
            return Route.refused(Route.Kind.BAD_REQUEST, "CONNECT target '" + authority + "' (expected host:port)");
        }
        if (uri.getHost() == null || uri.getPort() < 0 || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
            return Route.refused(Route.Kind.BAD_REQUEST, "CONNECT target '" + authority + "' (expected host:port)");
        }
        if (!allowed(uri.getHost(), uri.getPort())) {
            return Route.refused(Route.Kind.DENIED, "tunnelling to " + uri.getHost() + ":" + uri.getPort()
                    + " is not allowed (expected a host on dfdaemon's allow-list, --allow-host)");
        }
        return Route.of(Route.Kind.TUNNEL, uri);
    }

    private boolean allowed(String host, int port) {
        return allowed.stream().anyMatch(p -> p.matches(host, port));
    }

    /** The same URL over TLS, every other byte kept (the encoding of path and query matters to signatures). */
    private static URI https(URI uri) {
        return URI.create("https" + uri.toString().substring(uri.getScheme().length()));
    }
}
