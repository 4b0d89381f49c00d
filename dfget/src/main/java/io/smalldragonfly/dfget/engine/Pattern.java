package io.smalldragonfly.dfget.engine;

import java.util.Locale;

/** {@code --pattern}: where pieces may come from. */
public enum Pattern {
    /** From peers and the supernode's CDN, as the scheduler says (the default). */
    P2P,
    /** From the supernode's CDN only; peers' assignments are fetched from the CDN instead. */
    CDN,
    /** Straight from the source, no supernode. */
    SOURCE;

    public static Pattern parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("pattern: '" + s + "' (expected p2p, cdn or source)");
        }
    }
}
