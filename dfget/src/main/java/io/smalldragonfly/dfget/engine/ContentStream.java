package io.smalldragonfly.dfget.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The file's bytes in order, blocking until the next piece is on disk, ending only when the
 * download finished and was verified; a failed download ends the stream with an IOException.
 * One reader thread per stream ({@link #close()} may come from any thread); many streams may read
 * one download. Closing a stream never cancels the download.
 */
final class ContentStream extends InputStream {

    private final ContentTracker tracker;
    private final boolean untilVerified;
    private final int generation;
    private volatile FileChannel channel;
    private long pos;
    private long available;
    private volatile boolean closed;

    ContentStream(ContentTracker tracker, boolean untilVerified) {
        this.tracker = tracker;
        this.untilVerified = untilVerified;
        this.generation = tracker.generation();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return read(ByteBuffer.wrap(b, off, len));
    }

    /** Reads into {@code dst} directly (no copy through a heap array when {@code dst} is direct). */
    int read(ByteBuffer dst) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (pos >= available) {
            long end = tracker.await(pos, untilVerified, generation, () -> closed);
            if (end < 0) {
                return -1;
            }
            available = end;
        }
        if (channel == null) {
            channel = tracker.openReader();
        }
        int want = (int) Math.min(dst.remaining(), available - pos);
        int limit = dst.limit();
        dst.limit(dst.position() + want);
        try {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new IOException("content file shorter than its recorded pieces at " + pos);
            }
            pos += n;
            return n;
        } finally {
            dst.limit(limit);
        }
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, tracker.contiguous() - pos));
    }

    /** Ends the stream; a {@code read} blocked in another thread returns with an IOException. */
    @Override
    public void close() throws IOException {
        closed = true;
        tracker.wakeUp();
        FileChannel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
