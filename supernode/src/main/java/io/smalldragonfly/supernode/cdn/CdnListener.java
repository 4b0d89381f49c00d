package io.smalldragonfly.supernode.cdn;

/** Byte counters of the CDN (metrics). */
public interface CdnListener {

    CdnListener NONE = new CdnListener() { };

    /** {@code bytes} of content came from a source. */
    default void sourceBytes(long bytes) { }

    /** {@code bytes} of framed pieces went to peers. */
    default void uploadBytes(long bytes) { }
}
