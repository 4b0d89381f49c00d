package io.smalldragonfly.common.piece;

import io.smalldragonfly.common.protocol.ProtocolException;

/**
 * How a file of {@code contentLength} bytes is cut into framed pieces of {@code pieceSize}:
 * the arithmetic between piece numbers, content offsets in the file and wire ranges.
 * Each piece carries {@code pieceSize - 5} content bytes; the last carries the rest.
 */
public record PieceLayout(long contentLength, int pieceSize) {

    public PieceLayout {
        if (contentLength < 0) {
            throw new ProtocolException("content length: " + contentLength + " (expected >= 0)");
        }
        PieceFraming.header(0, pieceSize); // validates pieceSize
    }

    public static PieceLayout of(long contentLength) {
        return new PieceLayout(contentLength, PieceSizePolicy.pieceSize(contentLength));
    }

    /** Content bytes in a full piece. */
    public int contentPerPiece() {
        return pieceSize - PieceFraming.OVERHEAD;
    }

    public int pieceCount() {
        if (contentLength == 0) {
            return 0;
        }
        long n = (contentLength + contentPerPiece() - 1) / contentPerPiece();
        if (n > Integer.MAX_VALUE) {
            throw new ProtocolException("content length: " + contentLength + " (too many pieces)");
        }
        return (int) n;
    }

    public long contentOffset(int pieceNum) {
        checkPieceNum(pieceNum);
        return (long) pieceNum * contentPerPiece();
    }

    public int contentLength(int pieceNum) {
        long offset = contentOffset(pieceNum);
        return (int) Math.min(contentPerPiece(), contentLength - offset);
    }

    public int framedLength(int pieceNum) {
        return contentLength(pieceNum) + PieceFraming.OVERHEAD;
    }

    /** Where piece {@code pieceNum} starts in the framed task (the CDN's file, the wire range). */
    public long framedOffset(int pieceNum) {
        checkPieceNum(pieceNum);
        return (long) pieceNum * pieceSize;
    }

    /** The framed length of the whole task, which a 600 answer reports. */
    public long framedLength() {
        return contentLength + (long) pieceCount() * PieceFraming.OVERHEAD;
    }

    public PieceRange wireRange(int pieceNum) {
        checkPieceNum(pieceNum);
        return PieceRange.of(pieceNum, pieceSize);
    }

    /** The piece a wire range names, checked against this layout. */
    public int pieceNum(PieceRange range) {
        int n = range.pieceNum(pieceSize);
        checkPieceNum(n);
        return n;
    }

    private void checkPieceNum(int pieceNum) {
        if (pieceNum < 0 || pieceNum >= pieceCount()) {
            throw new ProtocolException("pieceNum: " + pieceNum + " (expected 0.." + (pieceCount() - 1) + ")");
        }
    }
}
