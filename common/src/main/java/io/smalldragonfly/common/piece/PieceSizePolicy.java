package io.smalldragonfly.common.piece;

/**
 * The original's piece size: 4 MiB for unknown lengths and files up to 200 MiB, else
 * {@code min(len / 100 MiB + 2, 15)} MiB. Bigger files get bigger pieces so the scheduler's
 * bookkeeping stays at a few hundred pieces a task.
 */
public final class PieceSizePolicy {

    public static final int MIB = 1024 * 1024;
    public static final int DEFAULT_PIECE_SIZE = 4 * MIB;
    public static final int MAX_PIECE_SIZE = 15 * MIB;
    private static final long SMALL_FILE_LIMIT = 200L * MIB;

    private PieceSizePolicy() {}

    /** @param contentLength the source's length, or a negative number when unknown */
    public static int pieceSize(long contentLength) {
        if (contentLength <= SMALL_FILE_LIMIT) {
            return DEFAULT_PIECE_SIZE;
        }
        long mib = contentLength / (100L * MIB) + 2;
        return (int) Math.min(mib * MIB, MAX_PIECE_SIZE);
    }
}
