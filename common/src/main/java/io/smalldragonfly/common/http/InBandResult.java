package io.smalldragonfly.common.http;

import io.smalldragonfly.common.protocol.ResultCode;

/**
 * An exception the Dragonfly protocol answers in-band: HTTP 200 with its {@link #code()} in the
 * {@link io.smalldragonfly.common.protocol.ApiResponse} envelope, as the original supernode does
 * for a source it cannot fetch (607, 608, 604). The {@link ErrorMapper} recognises it by this type;
 * the message goes to the client.
 */
public interface InBandResult {

    ResultCode code();

    String getMessage();
}
