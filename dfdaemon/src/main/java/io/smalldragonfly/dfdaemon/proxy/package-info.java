/**
 * The Netty edge of dfdaemon. Entry point: {@link io.smalldragonfly.dfdaemon.proxy.DfdaemonServer}.
 * Pipeline: {@code ProxyInitializer} (common's {@code HttpPipeline}: idle, codec, keep-alive, aggregator) then
 * {@code ProxyFrontendHandler}, which routes with the Netty-free {@code Router} to
 * {@code BlobResponder} (blobs via {@code BlobService}: P2P then direct), {@code UpstreamRelay}
 * (reverse and forward proxy) or a {@code TunnelRelay} pair (CONNECT).
 * {@link io.smalldragonfly.dfdaemon.proxy.DfdaemonMetrics} backs {@code /metrics}.
 */
package io.smalldragonfly.dfdaemon.proxy;
