package io.smalldragonfly.dfdaemon.proxy;

import io.smalldragonfly.dfdaemon.upstream.Upstreams;

/** What the proxy's handlers call, built once per server and shared by all connections. */
record ProxyServices(Router router, UpstreamRelay relay, BlobResponder blobs, Upstreams upstreams,
                     DfdaemonMetrics metrics) {}
