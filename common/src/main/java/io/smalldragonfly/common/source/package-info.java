/**
 * The one HTTP client for sources (the supernode's CDN, dfget's back-to-source, dfdaemon's direct
 * path): {@link io.smalldragonfly.common.source.SourceHttpClient} with one redirect policy, one
 * header filter ({@link io.smalldragonfly.common.source.SourceHeaders}), one stall rule
 * ({@link io.smalldragonfly.common.source.SourceStalledException}) and blocking bodies read with
 * large reads straight from the socket.
 */
package io.smalldragonfly.common.source;
