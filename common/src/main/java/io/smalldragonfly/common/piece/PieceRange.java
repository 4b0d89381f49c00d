package io.smalldragonfly.common.piece;

import io.smalldragonfly.common.protocol.ProtocolException;

/**
 * A piece's wire range {@code start-end} (inclusive), as it appears in {@code /peer/task} and in
 * piece reports. Wire ranges address the framed task: piece {@code n} spans
 * {@code n*pieceSize .. n*pieceSize + pieceSize - 1}, the last one too.
 */
public record PieceRange(long start, long end) {

    public PieceRange {
        if (start < 0 || end < start) {
            throw new ProtocolException("range: " + start + "-" + end + " (expected 0 <= start <= end)");
        }
    }

    public static PieceRange of(int pieceNum, int pieceSize) {
        if (pieceNum < 0) {
            throw new ProtocolException("pieceNum: " + pieceNum + " (expected >= 0)");
        }
        long start = (long) pieceNum * pieceSize;
        return new PieceRange(start, start + pieceSize - 1);
    }

    /** Parses {@code start-end}; anything else is a {@link ProtocolException} saying so. */
    public static PieceRange parse(String s) {
        if (s == null) {
            throw new ProtocolException("range: missing (expected start-end)");
        }
        int dash = s.indexOf('-');
        if (dash <= 0 || dash == s.length() - 1) {
            throw new ProtocolException("range: '" + s + "' (expected start-end, two non-negative integers)");
        }
        try {
            return new PieceRange(parseDigits(s.substring(0, dash)), parseDigits(s.substring(dash + 1)));
        } catch (NumberFormatException e) {
            throw new ProtocolException("range: '" + s + "' (expected start-end, two non-negative integers)");
        }
    }

    private static long parseDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                throw new NumberFormatException(s);
            }
        }
        return Long.parseLong(s); // overflow throws NumberFormatException
    }

    public long length() {
        return end - start + 1;
    }

    /**
     * The piece number, {@code start / pieceSize}, for a range that is exactly one piece.
     * The original derived it as {@code start / (end - start + 1)}; both agree on valid ranges.
     */
    public int pieceNum(int pieceSize) {
        if (start % pieceSize != 0 || length() != pieceSize) {
            throw new ProtocolException("range: " + this + " (expected a whole piece of " + pieceSize + " bytes)");
        }
        long n = start / pieceSize;
        if (n > Integer.MAX_VALUE) {
            throw new ProtocolException("range: " + this + " (piece number overflows)");
        }
        return (int) n;
    }

    @Override
    public String toString() {
        return start + "-" + end;
    }
}
