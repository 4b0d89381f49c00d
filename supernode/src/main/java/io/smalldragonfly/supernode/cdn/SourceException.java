package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.http.InBandResult;
import io.smalldragonfly.common.protocol.ResultCode;

/**
 * The source cannot be fetched: 607 (unreachable, 404, refused by the allow/deny list),
 * 608 (it wants credentials) or 604 (the fetch broke, or the cache has no room: {@link CacheFullException}).
 * The message goes to the client.
 */
public class SourceException extends RuntimeException implements InBandResult {

    private final ResultCode code;

    public SourceException(ResultCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ResultCode code() {
        return code;
    }
}
