package io.smalldragonfly.dfget.engine;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes of content by where they came from, and pieces no digest vouched for. Thread-safe. */
final class Counters {
    /**
     * Pieces accepted without a digest to check (a supernode that offered neither pieceSha256 nor
     * pieceMd5): while this is 0, the verified pieces imply the whole file's md5.
     */
    final AtomicLong unverifiedPieces = new AtomicLong();
    final AtomicLong fromPeers = new AtomicLong();
    final AtomicLong fromSupernode = new AtomicLong();
    final AtomicLong fromSource = new AtomicLong();
    final AtomicLong fromLocal = new AtomicLong();
}
