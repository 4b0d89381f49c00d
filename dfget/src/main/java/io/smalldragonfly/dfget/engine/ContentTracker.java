package io.smalldragonfly.dfget.engine;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Which content bytes of one download are on disk, as a contiguous prefix, and the monitor that
 * in-order readers (the public stream, the whole-file digester) wait on. Pieces complete in any
 * order; the prefix grows when the piece at its end arrives. Thread-safe; the only lock of a
 * download, never held during I/O except the short {@link #openReader()} and {@link #moveLocked}.
 */
final class ContentTracker {

    /** Where to read the content, and with which layout generation. */
    private Path path;
    private int contentPerPiece = -1;
    private int[] lengths = new int[0]; // content length + 1 per piece; 0 = missing
    private long contiguous;
    private int nextPiece;
    private long total = -1;
    private long presentBytes;
    private boolean finished;
    private Throwable failure;
    private int generation;

    synchronized void path(Path p) {
        this.path = p;
    }

    synchronized int generation() {
        return generation;
    }

    /** Starts piece accounting with {@code pieceSize}; a different layout than before starts afresh. */
    synchronized void usePieces(int pieceSize, long totalLength, boolean fresh) {
        int cpp = pieceSize - io.smalldragonfly.common.piece.PieceFraming.OVERHEAD;
        if (fresh || cpp != contentPerPiece || (total >= 0 && totalLength >= 0 && total != totalLength)) {
            if (contentPerPiece != -1 || contiguous > 0) {
                generation++;
            }
            contentPerPiece = cpp;
            lengths = new int[0];
            contiguous = 0;
            nextPiece = 0;
            presentBytes = 0;
        }
        if (totalLength >= 0) {
            total = totalLength;
        }
        notifyAll();
    }

    /** Sequential mode (a source without ranges): the first {@code bytes} are on disk. */
    synchronized void sequential(long bytes) {
        if (contentPerPiece != -1 || bytes < contiguous) {
            generation++;
            lengths = new int[0];
            nextPiece = 0;
            total = -1;
        }
        contentPerPiece = -1;
        contiguous = bytes;
        presentBytes = bytes;
        notifyAll();
    }

    synchronized void total(long length) {
        total = length;
        notifyAll();
    }

    synchronized long total() {
        return total;
    }

    synchronized boolean has(int piece) {
        return piece < lengths.length && lengths[piece] > 0;
    }

    synchronized void markPiece(int piece, int contentLength) {
        if (piece >= lengths.length) {
            lengths = Arrays.copyOf(lengths, Math.max(piece + 1, lengths.length * 2 + 8));
        }
        if (lengths[piece] == 0) {
            presentBytes += contentLength;
        }
        lengths[piece] = contentLength + 1;
        boolean grew = false;
        while (nextPiece < lengths.length && lengths[nextPiece] > 0) {
            int len = lengths[nextPiece] - 1;
            contiguous = (long) nextPiece * contentPerPiece + len;
            nextPiece++;
            grew = true;
            if (len < contentPerPiece) {
                break; // a short piece is the last one
            }
        }
        if (grew) {
            notifyAll();
        }
    }

    /** Bytes on disk (any order), for progress display. */
    synchronized long presentBytes() {
        return presentBytes;
    }

    synchronized long contiguous() {
        return contiguous;
    }

    synchronized boolean allPresent() {
        return total >= 0 && contiguous >= total;
    }

    synchronized void finish(Path finalPath) {
        path = finalPath;
        finished = true;
        notifyAll();
    }

    synchronized void fail(Throwable t) {
        if (failure == null && !finished) {
            failure = t;
        }
        notifyAll();
    }

    /**
     * Waits until content byte {@code pos} can be read and returns the end of the readable prefix,
     * or -1 at the end of the content.
     *
     * @param untilVerified only report the end once the download finished (its digest checked)
     */
    synchronized long await(long pos, boolean untilVerified, int gen) throws IOException {
        return await(pos, untilVerified, gen, () -> false);
    }

    /** As {@link #await(long, boolean, int)}, giving up with an IOException once {@code closed} says so. */
    synchronized long await(long pos, boolean untilVerified, int gen, java.util.function.BooleanSupplier closed)
            throws IOException {
        while (true) {
            if (closed.getAsBoolean()) {
                throw new IOException("stream closed");
            }
            if (failure != null) {
                throw failure instanceof IOException io ? io : new IOException(failure.getMessage(), failure);
            }
            if (gen != generation) {
                throw new StaleGenerationException();
            }
            if (contiguous > pos) {
                return contiguous;
            }
            if (total >= 0 && pos >= total && (finished || !untilVerified)) {
                return -1;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for content");
            }
        }
    }

    /** Wakes every waiter (a reader was closed from another thread). */
    synchronized void wakeUp() {
        notifyAll();
    }

    synchronized FileChannel openReader() throws IOException {
        return FileChannel.open(path, StandardOpenOption.READ);
    }

    /** Runs a rename while no reader opens the content file. */
    synchronized void moveLocked(IoAction action) throws IOException {
        action.run();
    }

    interface IoAction {
        void run() throws IOException;
    }

    /** The layout changed under an in-order reader (a fallback to a source of another length). */
    static final class StaleGenerationException extends IOException {
        StaleGenerationException() {
            super("content layout changed");
        }
    }
}
