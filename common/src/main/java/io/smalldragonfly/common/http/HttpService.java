package io.smalldragonfly.common.http;

import java.util.concurrent.CompletionStage;

/**
 * What the Netty edge calls: one request in, one response out, possibly later. Implementations
 * hold no Netty types; they throw {@link HttpStatusException} or
 * {@link io.smalldragonfly.common.protocol.ProtocolException} for bad input, and the edge maps it.
 * They must not block: slow work returns an incomplete stage.
 */
@FunctionalInterface
public interface HttpService {
    CompletionStage<Response> serve(Request request);
}
