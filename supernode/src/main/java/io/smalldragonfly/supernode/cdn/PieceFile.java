package io.smalldragonfly.supernode.cdn;

import java.nio.file.Path;
import java.util.BitSet;

/**
 * A cached task's data file opened for serving, with the pieces written so far. While open, the
 * task counts as in use and is never evicted; close it when the response is written.
 */
public final class PieceFile implements AutoCloseable {

    private final Path path;
    private final long length;
    private final int pieceSize;
    private final BitSet written;
    private final boolean complete;
    private final Runnable onClose;
    private boolean closed;

    PieceFile(Path path, long length, int pieceSize, BitSet written, boolean complete, Runnable onClose) {
        this.path = path;
        this.length = length;
        this.pieceSize = pieceSize;
        this.written = written;
        this.complete = complete;
        this.onClose = onClose;
    }

    public Path path() {
        return path;
    }

    /** Bytes of the framed file as far as pieces are written (its full framed length once complete). */
    public long length() {
        return length;
    }

    public boolean complete() {
        return complete;
    }

    /** Whether every piece under bytes {@code start..end} (inclusive) is written. */
    public boolean covers(long start, long end) {
        if (end >= length) {
            return false;
        }
        long first = start / pieceSize;
        long last = end / pieceSize;
        for (long n = first; n <= last; n++) {
            if (n > Integer.MAX_VALUE || !written.get((int) n)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }
}
