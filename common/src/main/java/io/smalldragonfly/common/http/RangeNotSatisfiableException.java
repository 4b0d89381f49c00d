package io.smalldragonfly.common.http;

import io.smalldragonfly.common.protocol.ResultCode;
import java.util.Map;

/** A {@code Range} that lies outside the resource: 416 with {@code Content-Range: bytes *}/length. */
public final class RangeNotSatisfiableException extends HttpStatusException {

    private final long resourceLength;

    public RangeNotSatisfiableException(String message, long resourceLength) {
        super(416, ResultCode.PARAM_ERROR, message, Map.of("Content-Range", "bytes */" + resourceLength));
        this.resourceLength = resourceLength;
    }

    public long resourceLength() {
        return resourceLength;
    }
}
