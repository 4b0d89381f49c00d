package io.smalldragonfly.common.piece;

import io.smalldragonfly.common.protocol.ProtocolException;
import java.nio.ByteBuffer;

/**
 * The framing of a stored and served piece: a 4-byte big-endian header
 * {@code contentLength | (pieceSize << 4)}, the content, then one trailer byte {@code 0x7f}.
 * Piece sizes are whole MiB up to 15 MiB, so the size sits in the top byte and the content
 * length (below 16 MiB) in the low three.
 */
public final class PieceFraming {

    public static final int HEADER_LENGTH = 4;
    public static final byte TRAILER = 0x7f;
    /** Bytes framing adds to each piece's content. */
    public static final int OVERHEAD = HEADER_LENGTH + 1;

    private static final int CONTENT_MASK = 0xFFFFFF;

    private PieceFraming() {}

    public static int header(int contentLength, int pieceSize) {
        checkPieceSize(pieceSize);
        if (contentLength < 0 || contentLength > pieceSize - OVERHEAD) {
            throw new ProtocolException("content length: " + contentLength
                    + " (expected 0.." + (pieceSize - OVERHEAD) + " for piece size " + pieceSize + ")");
        }
        return contentLength | (pieceSize << 4);
    }

    public static byte[] headerBytes(int contentLength, int pieceSize) {
        return ByteBuffer.allocate(HEADER_LENGTH).putInt(header(contentLength, pieceSize)).array();
    }

    public static int contentLength(int header) {
        return header & CONTENT_MASK;
    }

    public static int pieceSize(int header) {
        return (header >>> 24) << 20;
    }

    /**
     * Checks a whole framed piece as received and returns its content's bounds within {@code framed}.
     *
     * @param expectedPieceSize the task's piece size
     * @return the content length (content starts at offset {@link #HEADER_LENGTH})
     */
    public static int verify(byte[] framed, int framedLength, int expectedPieceSize) {
        if (framedLength < OVERHEAD) {
            throw new ProtocolException("piece: " + framedLength + " bytes (expected at least " + OVERHEAD + ")");
        }
        int header = ByteBuffer.wrap(framed, 0, HEADER_LENGTH).getInt();
        return verify(header, framed[framedLength - 1], framedLength, expectedPieceSize);
    }

    /** The same check on the header and trailer alone, for callers that stream the content. */
    public static int verify(int header, byte trailer, long framedLength, int expectedPieceSize) {
        int contentLength = contentLength(header);
        int pieceSize = pieceSize(header);
        if (pieceSize != expectedPieceSize) {
            throw new ProtocolException("piece header: piece size " + pieceSize
                    + " (expected " + expectedPieceSize + ")");
        }
        if (contentLength + OVERHEAD != framedLength) {
            throw new ProtocolException("piece header: content length " + contentLength
                    + " disagrees with the " + framedLength + " bytes received (expected "
                    + (framedLength - OVERHEAD) + ")");
        }
        if (trailer != TRAILER) {
            throw new ProtocolException(String.format(
                    "piece trailer: 0x%02x (expected 0x7f)", trailer & 0xff));
        }
        return contentLength;
    }

    private static void checkPieceSize(int pieceSize) {
        if (pieceSize < PieceSizePolicy.MIB || pieceSize > PieceSizePolicy.MAX_PIECE_SIZE
                || pieceSize % PieceSizePolicy.MIB != 0) {
            throw new ProtocolException("piece size: " + pieceSize + " (expected whole MiB, 1..15 MiB)");
        }
    }
}
