/**
 * Connections from dfdaemon to registries and origins: {@link io.smalldragonfly.dfdaemon.upstream.Upstreams}
 * (bootstrap, TLS with {@code --registry-ca} / {@code --insecure}, {@code AUTO_READ} off) and
 * {@link io.smalldragonfly.dfdaemon.upstream.HopByHop} (header hygiene).
 */
package io.smalldragonfly.dfdaemon.upstream;
