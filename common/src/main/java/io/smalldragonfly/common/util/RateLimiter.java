package io.smalldragonfly.common.util;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket for bytes per second, shared by the three binaries: dfget's {@code --locallimit}
 * and {@code --totallimit}, the upload servers' limits and the CDN's upload bandwidth.
 *
 * <p>A caller reserves the bytes it is about to move and waits the returned time; the debt of a
 * large reservation is paid by the next caller (as Guava's smooth bursty limiter), so a single
 * 4 MiB piece never waits for itself, and a second of idle rate can be spent as a burst.
 * Non-blocking callers (Netty handlers) schedule their next write after {@link #reserve}'s delay;
 * blocking callers use {@link #acquire}. Thread-safe. A rate of 0 means unlimited.
 */
public final class RateLimiter {

    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final LongSupplier nanoClock;
    private long bytesPerSecond;
    private double storedBytes;
    private long nextFreeNanos;

    public RateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime);
    }

    public RateLimiter(long bytesPerSecond, LongSupplier nanoClock) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate: " + bytesPerSecond + " (expected >= 0 bytes/s, 0 = unlimited)");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.nanoClock = nanoClock;
        this.nextFreeNanos = nanoClock.getAsLong();
    }

    public static RateLimiter unlimited() {
        return new RateLimiter(0);
    }

    public synchronized long rate() {
        return bytesPerSecond;
    }

    public synchronized void setRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate: " + bytesPerSecond + " (expected >= 0 bytes/s, 0 = unlimited)");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.nextFreeNanos = Math.min(nextFreeNanos, nanoClock.getAsLong());
    }

    /** Takes {@code bytes} from the bucket; returns how many nanoseconds to wait before sending them. */
    public synchronized long reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " (expected >= 0)");
        }
        if (bytesPerSecond == 0) {
            return 0;
        }
        long now = nanoClock.getAsLong();
        if (now > nextFreeNanos) {
            double refill = (double) (now - nextFreeNanos) * bytesPerSecond / NANOS_PER_SECOND;
            storedBytes = Math.min(bytesPerSecond, storedBytes + refill);
            nextFreeNanos = now;
        }
        long wait = nextFreeNanos - now;
        double fromStore = Math.min(bytes, storedBytes);
        double fresh = bytes - fromStore;
        storedBytes -= fromStore;
        nextFreeNanos += (long) (fresh * NANOS_PER_SECOND / bytesPerSecond);
        return Math.max(0, wait);
    }

    /** Blocks until {@code bytes} may be sent. */
    public void acquire(long bytes) throws InterruptedException {
        long wait = reserve(bytes);
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /** Blocks until {@code bytes} may be sent under every one of {@code limiters}. */
    public static void acquireAll(long bytes, RateLimiter... limiters) throws InterruptedException {
        long wait = 0;
        for (RateLimiter l : limiters) {
            if (l != null) {
                wait = Math.max(wait, l.reserve(bytes));
            }
        }
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
