package io.smalldragonfly.dfget.engine;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes of content by where they came from. Thread-safe. */
final class Counters {
    final AtomicLong fromPeers = new AtomicLong();
    final AtomicLong fromSupernode = new AtomicLong();
    final AtomicLong fromSource = new AtomicLong();
    final AtomicLong fromLocal = new AtomicLong();
}
