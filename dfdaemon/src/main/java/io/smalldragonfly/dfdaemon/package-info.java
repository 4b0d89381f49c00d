/**
 * dfdaemon: a docker registry mirror and HTTP proxy that sends layer blobs through P2P.
 * Entry points: {@link io.smalldragonfly.dfdaemon.DfdaemonMain} ({@code bin/dfdaemon}) and
 * {@link io.smalldragonfly.dfdaemon.DfdaemonCommand} (flags and YAML into a
 * {@link io.smalldragonfly.dfdaemon.config.DfdaemonConfig}). docs/dfdaemon.md is the reference.
 */
package io.smalldragonfly.dfdaemon;
