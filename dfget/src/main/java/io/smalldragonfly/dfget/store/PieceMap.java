package io.smalldragonfly.dfget.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The progress file of one download ({@code <temp>.pieces}): which pieces of the content file are
 * on disk and how long each is. It is what resume starts from, and what the upload server (maybe
 * in another process, through a hard link in its data directory) reads to decide whether it can
 * serve a piece of an unfinished download.
 *
 * <p>Layout, big-endian: {@code int magic "DFPM"}, {@code int pieceSize}, {@code long contentLength}
 * ({@code -1} unknown), then one {@code int} per piece: 0 while missing, else its content length + 1.
 * Piece {@code n}'s content sits at {@code n * (pieceSize - 5)} in the content file. An entry is
 * written only after the piece's bytes are, so a reader never sees a piece before its data.
 *
 * <p>The writer holds an exclusive lock for the whole download, so two dfgets never write one temp
 * file. Thread-safe.
 */
public final class PieceMap implements Closeable {

    static final int MAGIC = 0x4446504D;
    static final int HEADER = 16;

    private final FileChannel channel;
    private final FileLock lock;
    private final int pieceSize;
    private long contentLength;
    private int[] entries;

    private PieceMap(FileChannel channel, FileLock lock, int pieceSize, long contentLength, int[] entries) {
        this.channel = channel;
        this.lock = lock;
        this.pieceSize = pieceSize;
        this.contentLength = contentLength;
        this.entries = entries;
    }

    /** Thrown when another download holds the file. */
    public static final class BusyException extends IOException {
        BusyException(Path file) {
            super("another download is using " + file + " (expected one dfget per output file)");
        }
    }

    /**
     * Opens (creating) the progress file for writing. Entries of an earlier run are kept when its
     * header matches {@code pieceSize} and {@code contentLength}; otherwise the file starts afresh.
     */
    public static PieceMap openForWrite(Path file, int pieceSize, long contentLength) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new BusyException(file);
        }
        try {
            int[] entries = new int[0];
            Header h = readHeader(ch);
            if (h != null && h.pieceSize == pieceSize && h.contentLength == contentLength) {
                long n = (ch.size() - HEADER) / 4;
                ByteBuffer buf = ByteBuffer.allocate((int) n * 4);
                readFully(ch, buf, HEADER);
                buf.flip();
                entries = new int[(int) n];
                for (int i = 0; i < n; i++) {
                    entries[i] = Math.max(0, buf.getInt());
                }
            } else {
                ch.truncate(0);
                ByteBuffer header = ByteBuffer.allocate(HEADER).putInt(MAGIC).putInt(pieceSize).putLong(contentLength);
                header.flip();
                writeFully(ch, header, 0);
            }
            return new PieceMap(ch, lock, pieceSize, contentLength, entries);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    public int pieceSize() {
        return pieceSize;
    }

    public synchronized long contentLength() {
        return contentLength;
    }

    /** Records the length once it is known (a task of unknown length, at its end). */
    public synchronized void setContentLength(long length) throws IOException {
        this.contentLength = length;
        writeFully(channel, ByteBuffer.allocate(8).putLong(0, length), 8);
    }

    /** Records that piece {@code n} is on disk with {@code contentLen} content bytes. */
    public synchronized void mark(int n, int contentLen) throws IOException {
        if (n >= entries.length) {
            entries = Arrays.copyOf(entries, Math.max(n + 1, entries.length * 2));
        }
        entries[n] = contentLen + 1;
        writeFully(channel, ByteBuffer.allocate(4).putInt(0, contentLen + 1), HEADER + 4L * n);
    }

    /** Forgets piece {@code n} (its bytes turned out bad). */
    public synchronized void clear(int n) throws IOException {
        if (n < entries.length && entries[n] != 0) {
            entries[n] = 0;
            writeFully(channel, ByteBuffer.allocate(4).putInt(0, 0), HEADER + 4L * n);
        }
    }

    /** Piece {@code n}'s content length, or -1 when it is not on disk. */
    public synchronized int contentLength(int n) {
        return n < entries.length && entries[n] > 0 ? entries[n] - 1 : -1;
    }

    /** The highest piece number recorded plus one. */
    public synchronized int extent() {
        int n = entries.length;
        while (n > 0 && entries[n - 1] == 0) {
            n--;
        }
        return n;
    }

    /** Forgets everything (a resumed file that failed its final check). */
    public synchronized void reset() throws IOException {
        entries = new int[0];
        channel.truncate(HEADER);
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }

    /** The header and one entry as a reader (the upload server) sees them, without locking. */
    public record Entry(int pieceSize, long contentLength, int pieceContentLength) {
        public boolean present() {
            return pieceContentLength >= 0;
        }
    }

    /** Reads piece {@code n}'s entry from {@code file}; null when the file is missing or not a piece map. */
    public static Entry read(Path file, int n) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(ch);
            if (h == null) {
                return null;
            }
            int len = -1;
            if (n >= 0 && HEADER + 4L * n + 4 <= ch.size()) {
                ByteBuffer b = ByteBuffer.allocate(4);
                readFully(ch, b, HEADER + 4L * n);
                int v = b.getInt(0);
                len = v > 0 ? v - 1 : -1;
            }
            return new Entry(h.pieceSize, h.contentLength, len);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private record Header(int pieceSize, long contentLength) {}

    private static Header readHeader(FileChannel ch) throws IOException {
        if (ch.size() < HEADER) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER);
        readFully(ch, b, 0);
        b.flip();
        if (b.getInt() != MAGIC) {
            return null;
        }
        return new Header(b.getInt(), b.getLong());
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new IOException("piece map: truncated");
            }
            pos += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
