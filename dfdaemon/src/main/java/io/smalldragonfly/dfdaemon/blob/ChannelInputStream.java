package io.smalldragonfly.dfdaemon.blob;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP response body from a Netty channel with {@code AUTO_READ} off, as an {@link InputStream}
 * for one reader thread. The channel's event loop {@link #offer}s content; the socket is read
 * again only while less than {@link #HIGH_WATER} bytes wait here, so a slow reader slows the
 * source down instead of filling the heap.
 *
 * <p>Threads: {@link #offer}, {@link #end}, {@link #fail} and {@link #demand} run on the event
 * loop; {@code read} on the reader; {@link #close} on any thread, also while {@code read} blocks.
 * This object's monitor guards {@code current}, {@code closed} and hand-over into the queue.
 */
final class ChannelInputStream extends InputStream {

    static final long HIGH_WATER = 1 << 20;

    private static final Object END = new Object();
    private static final Object CLOSED = new Object();

    private final Channel channel;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean paused = new AtomicBoolean();
    private ByteBuf current;
    private boolean closed;
    private boolean eof;
    private IOException failure;

    ChannelInputStream(Channel channel) {
        this.channel = channel;
    }

    /** Takes ownership of {@code content}. */
    void offer(ByteBuf content) {
        synchronized (this) {
            if (closed) {
                content.release();
                return;
            }
            queued.addAndGet(content.readableBytes());
            queue.add(content);
        }
    }

    void end() {
        queue.add(END);
    }

    void fail(IOException e) {
        queue.add(e);
    }

    /** After each message: read more from the socket unless enough is waiting here. */
    void demand() {
        if (queued.get() < HIGH_WATER) {
            channel.read();
        } else {
            paused.set(true);
            // the reader may have drained everything between the check and the flag
            if (queued.get() < HIGH_WATER && paused.compareAndSet(true, false)) {
                channel.read();
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (true) {
            synchronized (this) {
                if (closed) {
                    throw new IOException("stream closed");
                }
                if (failure != null) {
                    throw new IOException(failure.getMessage(), failure);
                }
                if (eof) {
                    return -1;
                }
                if (current != null) {
                    int n = Math.min(len, current.readableBytes());
                    current.readBytes(b, off, n);
                    if (!current.isReadable()) {
                        current.release();
                        current = null;
                    }
                    if (queued.addAndGet(-n) < HIGH_WATER && paused.compareAndSet(true, false)) {
                        channel.read();
                    }
                    return n;
                }
            }
            Object next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for blob bytes");
            }
            synchronized (this) {
                if (next instanceof ByteBuf buf) {
                    if (closed) {
                        buf.release();
                    } else {
                        current = buf;
                    }
                } else if (next == END) {
                    eof = true;
                } else if (next instanceof IOException e) {
                    failure = e;
                }
                // CLOSED: the loop head throws
            }
        }
    }

    @Override
    public synchronized int available() {
        return (int) Math.min(Integer.MAX_VALUE, queued.get());
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (current != null) {
                current.release();
                current = null;
            }
            for (Object o; (o = queue.poll()) != null; ) {
                if (o instanceof ByteBuf buf) {
                    buf.release();
                }
            }
            queue.add(CLOSED);
        }
        channel.close();
    }
}
