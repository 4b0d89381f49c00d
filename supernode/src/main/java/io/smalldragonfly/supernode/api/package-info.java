/**
 * The Netty edge of the supernode: {@link io.smalldragonfly.supernode.api.ApiService} (the API's
 * routing table, served through common's ServiceHandler) and
 * {@link io.smalldragonfly.supernode.api.DownloadServerInitializer} (the CDN's piece port).
 */
package io.smalldragonfly.supernode.api;
