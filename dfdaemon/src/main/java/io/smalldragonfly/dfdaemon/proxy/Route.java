package io.smalldragonfly.dfdaemon.proxy;

import java.net.URI;
import java.util.Optional;

/**
 * Where one request goes, decided by {@link Router}.
 *
 * @param kind   the route
 * @param target the upstream URL (registry or origin), or for {@link Kind#TUNNEL} {@code //host:port}
 * @param digest {@code sha256:<hex>} of a registry blob
 * @param reason why a request is {@link Kind#DENIED} or {@link Kind#BAD_REQUEST}
 */
record Route(Kind kind, URI target, Optional<String> digest, String reason) {

    enum Kind {
        /** {@code /_ping}: liveness. */
        PING,
        /** {@code /metrics}: Prometheus text. */
        METRICS,
        /** {@code GET /v2/<name>/blobs/sha256:<hex>}: through the blob fetcher (P2P, then direct). */
        REGISTRY_BLOB,
        /** Any other relative URI: reverse-proxied to the registry. */
        REGISTRY,
        /** Absolute-URI GET matching a non-direct rule: through the blob fetcher. */
        PROXY_P2P,
        /** Other absolute URIs: passed through to the origin. */
        PROXY,
        /** {@code CONNECT host:port}: a TCP tunnel. */
        TUNNEL,
        /** Forward proxying to a host not on the allow-list: 403. */
        DENIED,
        /** A request target that is neither origin-form nor an http(s) URL: 400. */
        BAD_REQUEST;

        /** The label in {@code dfdaemon_requests_total{route=...}}. */
        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static Route of(Kind kind, URI target) {
        return new Route(kind, target, Optional.empty(), "");
    }

    static Route refused(Kind kind, String reason) {
        return new Route(kind, null, Optional.empty(), reason);
    }
}
