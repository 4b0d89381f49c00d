package io.smalldragonfly.supernode.scheduler;

import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.protocol.ResultCode;

/** A report or poll names a peer or task the supernode does not know: 404 with code 502. */
public final class UnknownPeerException extends HttpStatusException {
    public UnknownPeerException(String message) {
        super(404, ResultCode.TARGET_NOT_FOUND, message);
    }
}
