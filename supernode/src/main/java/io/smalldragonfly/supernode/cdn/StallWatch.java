package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.util.DaemonThreads;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The stall watchdog of source bodies. The CDN's blocking reads have no read timeout of their own:
 * a source that stops sending mid-body would hold a fetch thread (and its task, as in use)
 * forever. Every watched body records when it last made progress on the CDN's clock; {@link #check}
 * (every 500 ms on the {@code cdn-watchdog} thread) closes those without progress for longer than
 * the stall limit, and the reader's next or blocked read fails saying why.
 */
final class StallWatch implements AutoCloseable {

    private static final long PERIOD_MILLIS = 500;

    private final LongSupplier clock;
    private final long stallNanos;
    private final Map<Watched, Boolean> active = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watchdog;

    /** @param clock the CDN's nano clock; {@code stall} the longest a body may send nothing */
    StallWatch(LongSupplier clock, Duration stall) {
        this.clock = clock;
        this.stallNanos = stall.toNanos();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("cdn-watchdog"));
        watchdog.scheduleWithFixedDelay(this::check, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Watches {@code body} from now on, until the returned stream is {@link #release}d. */
    Watched watch(InputStream body) {
        Watched w = new Watched(body, clock);
        active.put(w, Boolean.TRUE);
        return w;
    }

    void release(Watched w) {
        active.remove(w);
    }

    /** Content bytes read so far by each watched body (for tests: has a reader reached a stall?). */
    List<Long> positions() {
        return active.keySet().stream().map(w -> w.position).toList();
    }

    /** Aborts every watched body without progress for longer than the stall limit. */
    void check() {
        long now = clock.getAsLong();
        for (Watched w : active.keySet()) {
            if (now - w.lastProgress > stallNanos) {
                long ms = TimeUnit.NANOSECONDS.toMillis(stallNanos);
                abort(w, "source stalled: sent nothing for "
                        + (ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0))
                        + " s (--source-timeout)");
            }
        }
    }

    private void abort(Watched w, String why) {
        w.aborted = why;
        active.remove(w);
        try {
            w.close();
        } catch (IOException ignored) {
            // closing wakes the blocked reader, which fails saying why; nothing else to do
        }
    }

    /**
     * Stops the watchdog and aborts every watched body: blocked source reads ignore interrupts,
     * so closing their streams is what ends the fetch threads now.
     */
    @Override
    public void close() {
        watchdog.shutdownNow();
        for (Watched w : active.keySet()) {
            abort(w, "the supernode is stopping");
        }
    }

    /** A source body that counts its progress, so that the watchdog can tell a slow source from a dead one. */
    static final class Watched extends FilterInputStream {
        private final LongSupplier clock;
        private volatile long lastProgress;
        private volatile long position;
        /** Why the watchdog or a shutdown closed the stream; null while it runs. */
        private volatile String aborted;

        private Watched(InputStream in, LongSupplier clock) {
            super(in);
            this.clock = clock;
            this.lastProgress = clock.getAsLong();
        }

        /** Time spent away from the source (waiting for a piece buffer) is not the source stalling. */
        void progressed() {
            lastProgress = clock.getAsLong();
        }

        /** Why the stream was aborted; null unless it was. */
        String aborted() {
            return aborted;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                // the watchdog's close shows up as "closed"; say why it closed
                throw aborted != null ? new IOException(aborted, e) : e;
            }
            progressed();
            if (n > 0) {
                position += n;
            }
            if (aborted != null) {
                throw new IOException(aborted);
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int n = super.read();
            progressed();
            if (n >= 0) {
                position++;
            }
            return n;
        }
    }
}
