package io.smalldragonfly.common.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void unlimitedNeverWaits() {
        RateLimiter l = new RateLimiter(0, now::get);
        assertThat(l.reserve(Long.MAX_VALUE / 2)).isZero();
    }

    @Test
    void debtOfOneReservationIsPaidByTheNext() {
        RateLimiter l = new RateLimiter(1000, now::get);
        assertThat(l.reserve(2000)).isZero();                                    // first goes at once
        assertThat(l.reserve(1)).isEqualTo(TimeUnit.SECONDS.toNanos(2));         // then waits 2 s
        now.addAndGet(TimeUnit.SECONDS.toNanos(3));
        assertThat(l.reserve(1)).isZero();
    }

    @Test
    void sustainedRateIsTheConfiguredOne() {
        RateLimiter l = new RateLimiter(1_000_000, now::get);
        long waited = 0;
        for (int i = 0; i < 100; i++) {
            long w = l.reserve(100_000);
            now.addAndGet(w);
            waited += w;
        }
        // 10 MB at 1 MB/s: about 10 s, less the first reservation's free start.
        assertThat(waited).isBetween(TimeUnit.MILLISECONDS.toNanos(9_800), TimeUnit.MILLISECONDS.toNanos(10_000));
    }

    @Test
    void idleTimeBuysABurstOfAtMostOneSecond() {
        RateLimiter l = new RateLimiter(1000, now::get);
        l.reserve(0);
        now.addAndGet(TimeUnit.SECONDS.toNanos(60));
        assertThat(l.reserve(1000)).isZero();
        assertThat(l.reserve(1000)).isZero();   // this one is charged as debt
        assertThat(l.reserve(1)).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void rateCanChangeAndBadRatesAreRejected() {
        RateLimiter l = new RateLimiter(1000, now::get);
        l.setRate(0);
        assertThat(l.reserve(1_000_000)).isZero();
        assertThatThrownBy(() -> new RateLimiter(-1)).hasMessageContaining("expected >= 0");
        assertThatThrownBy(() -> l.reserve(-1)).hasMessageContaining("expected >= 0");
    }
}
