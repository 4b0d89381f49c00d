package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.protocol.PieceErrorType;
import io.smalldragonfly.common.protocol.PieceTask;

/**
 * How fetching one piece went.
 *
 * @param task          the assignment (as fetched: a peer's piece rewritten to the CDN shows the CDN)
 * @param contentLength content bytes written on success
 * @param errorType     null on success
 * @param realMd5       the md5 of what was received, when it was received whole
 * @param local         the piece was already on disk from an earlier run
 */
record PieceOutcome(PieceTask task, int contentLength, PieceErrorType errorType, String realMd5, String message,
                    boolean local) {

    static PieceOutcome ok(PieceTask task, int contentLength, boolean local) {
        return new PieceOutcome(task, contentLength, null, null, null, local);
    }

    static PieceOutcome failed(PieceTask task, PieceErrorType type, String realMd5, String message) {
        return new PieceOutcome(task, -1, type, realMd5, message, false);
    }

    boolean success() {
        return errorType == null;
    }
}
