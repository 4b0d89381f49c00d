package io.smalldragonfly.dfdaemon.testing;

import io.smalldragonfly.common.util.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;

/** A deterministic byte stream of any length, produced while sent (no blob of that size in memory). */
final class Generated {

    private static final int BLOCK = 64 * 1024;

    private Generated() {}

    private static byte[] block(long index) {
        byte[] b = new byte[BLOCK];
        long x = index * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < BLOCK; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int j = 0; j < 8; j++) {
                b[i + j] = (byte) (x >>> (j * 8));
            }
        }
        return b;
    }

    static byte[] sha256(long length) {
        MessageDigest md = Digests.sha256();
        for (long i = 0, off = 0; off < length; i++, off += BLOCK) {
            md.update(block(i), 0, (int) Math.min(BLOCK, length - off));
        }
        return md.digest();
    }

    static void write(long length, OutputStream out, AtomicLong written) throws IOException {
        for (long i = 0, off = 0; off < length; i++, off += BLOCK) {
            int n = (int) Math.min(BLOCK, length - off);
            out.write(block(i), 0, n);
            written.addAndGet(n);
        }
    }
}
