package io.smalldragonfly.dfget.engine;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a download is. It changes only through {@link DownloadContext#moveTo}, which refuses any
 * step not listed here:
 *
 * <ul>
 *   <li>NEW to REGISTERING (there are supernodes), or SOURCE ({@code -p source}, or no {@code --node});</li>
 *   <li>REGISTERING to P2P (a supernode took the task), or SOURCE (none did, and back-to-source is allowed);</li>
 *   <li>P2P to VERIFYING (the supernode said the task is complete), REGISTERING (it stopped answering:
 *       the task's next supernode), or SOURCE (the P2P download failed, back-to-source allowed);</li>
 *   <li>SOURCE to VERIFYING;</li>
 *   <li>VERIFYING to DONE;</li>
 *   <li>every phase but DONE to FAILED; nothing follows DONE or FAILED.</li>
 * </ul>
 */
public enum DownloadPhase {
    /** Created, not yet running. */
    NEW,
    /** Registering the task with a supernode, in the task's {@code --node} order. */
    REGISTERING,
    /** Registered: polling the supernode and fetching pieces from peers and its CDN. */
    P2P,
    /** Fetching the file straight from its URL. */
    SOURCE,
    /** Every byte is on disk: checking the md5 and moving the file to its output path. */
    VERIFYING,
    /** The verified file is at its output path. */
    DONE,
    /** Ended without a file (the reason is the download's {@link DownloadException}). */
    FAILED;

    /** The phases this one may be followed by. */
    public Set<DownloadPhase> next() {
        return switch (this) {
            case NEW -> EnumSet.of(REGISTERING, SOURCE, FAILED);
            case REGISTERING -> EnumSet.of(P2P, SOURCE, FAILED);
            case P2P -> EnumSet.of(REGISTERING, VERIFYING, SOURCE, FAILED);
            case SOURCE -> EnumSet.of(VERIFYING, FAILED);
            case VERIFYING -> EnumSet.of(DONE, FAILED);
            case DONE, FAILED -> EnumSet.noneOf(DownloadPhase.class);
        };
    }

    public boolean canMoveTo(DownloadPhase phase) {
        return next().contains(phase);
    }

    /** DONE or FAILED: nothing follows. */
    public boolean terminal() {
        return this == DONE || this == FAILED;
    }
}
