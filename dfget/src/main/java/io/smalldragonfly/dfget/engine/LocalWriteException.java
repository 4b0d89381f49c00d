package io.smalldragonfly.dfget.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * This host could not write a download's own files (a full disk, a read-only or vanished file
 * system). Unlike every other failure while fetching, it is nobody else's fault: it never counts
 * against the peer, the CDN or the source the bytes came from, and ends the download with
 * {@link Failure#LOCAL_ERROR}.
 */
final class LocalWriteException extends IOException {

    LocalWriteException(IOException cause) {
        super(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
    }

    /** Writes all of {@code bytes} at {@code pos}; any failure is a {@link LocalWriteException}. */
    static long writeFully(FileChannel out, ByteBuffer bytes, long pos) throws LocalWriteException {
        long p = pos;
        try {
            while (bytes.hasRemaining()) {
                p += out.write(bytes, p);
            }
        } catch (IOException e) {
            throw new LocalWriteException(e);
        }
        return p;
    }
}
