package io.smalldragonfly.dfget.upload;

import io.smalldragonfly.common.piece.PieceFraming;
import java.nio.file.Path;

/**
 * One framed piece to send: its 4-byte header, {@code contentLength} bytes of {@code file} from
 * {@code contentOffset}, then the trailer.
 *
 * @param rangeStart where the piece starts in the framed task (the request's range start)
 */
record ServedPiece(String name, Path file, int pieceNum, int pieceSize, long contentOffset, int contentLength,
                   long rangeStart, long taskFramedLength) {

    int framedLength() {
        return contentLength + PieceFraming.OVERHEAD;
    }

    byte[] header() {
        return PieceFraming.headerBytes(contentLength, pieceSize);
    }

    String contentRange() {
        return "bytes " + rangeStart + "-" + (rangeStart + framedLength() - 1) + "/"
                + (taskFramedLength >= 0 ? Long.toString(taskFramedLength) : "*");
    }
}
