/**
 * The CDN: {@link io.smalldragonfly.supernode.cdn.CdnManager} (probe, fetch, cache, revalidation,
 * eviction), {@link io.smalldragonfly.supernode.cdn.CacheStore} (files under {@code home/cache}) and
 * {@link io.smalldragonfly.supernode.cdn.SourcePolicy} (the source allow/deny list). No Netty here.
 */
package io.smalldragonfly.supernode.cdn;
