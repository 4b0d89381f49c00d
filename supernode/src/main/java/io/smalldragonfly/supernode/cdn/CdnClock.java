package io.smalldragonfly.supernode.cdn;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The CDN's time: the scheduler's nano clock (the same {@link LongSupplier} the {@code Scheduler}
 * is given, so a task's idle time there and here agree), and the epoch millisecond that clock's
 * reading {@code originNanos} stands for. Durations (failure cache, expiry) are
 * measured on the nano clock; the epoch only labels the last access written to a task's metadata,
 * which must mean something to the next start of the supernode.
 */
record CdnClock(LongSupplier nanos, long originNanos, long originEpochMillis) {

    /** On {@code nanos}, anchored to the wall clock once, now. */
    static CdnClock anchored(LongSupplier nanos) {
        return new CdnClock(nanos, nanos.getAsLong(), System.currentTimeMillis());
    }

    long nanoTime() {
        return nanos.getAsLong();
    }

    /** Now, as epoch milliseconds. */
    long epochMillis() {
        return originEpochMillis + TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - originNanos);
    }
}
