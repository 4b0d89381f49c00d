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
 * @param localError    this host could not write it ({@link LocalWriteException}): nobody else's fault
 */
record PieceOutcome(PieceTask task, int contentLength, PieceErrorType errorType, String realMd5, String message,
                    boolean local, boolean localError) {

    static PieceOutcome ok(PieceTask task, int contentLength, boolean local) {
        return new PieceOutcome(task, contentLength, null, null, null, local, false);
    }

    static PieceOutcome failed(PieceTask task, PieceErrorType type, String realMd5, String message) {
        return new PieceOutcome(task, -1, type, realMd5, message, false, false);
    }

    /** The piece arrived but could not be written here; never reported against its holder. */
    static PieceOutcome localFailure(PieceTask task, String message) {
        return new PieceOutcome(task, -1, PieceErrorType.FILE_NOT_EXIST, null, message, false, true);
    }

    boolean success() {
        return errorType == null;
    }
}
