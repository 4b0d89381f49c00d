package io.smalldragonfly.common.protocol;

/** The {@code errorType} of {@code /peer/piece/error}. */
public enum PieceErrorType {
    /** The holder answered that it does not have the piece (404 / 416 / connection refused). */
    FILE_NOT_EXIST,
    /** The holder sent bytes whose digest differs from the supernode's. */
    FILE_MD5_NOT_MATCH;

    public static PieceErrorType parse(String s) {
        for (PieceErrorType t : values()) {
            if (t.name().equals(s)) {
                return t;
            }
        }
        throw new ProtocolException("errorType: '" + s + "' (expected FILE_NOT_EXIST or FILE_MD5_NOT_MATCH)");
    }
}
