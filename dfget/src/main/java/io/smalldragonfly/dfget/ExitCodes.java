package io.smalldragonfly.dfget;

import io.smalldragonfly.dfget.engine.Failure;

/** dfget's exit codes (docs/dfget.md). */
public final class ExitCodes {
    public static final int OK = 0;
    /** Local trouble: the output cannot be written, another dfget holds it, an internal error. */
    public static final int LOCAL_ERROR = 1;
    /** Bad command line (picocli's usage code). */
    public static final int USAGE = 2;
    /** No supernode answered and {@code --notbs} forbade the source. */
    public static final int NO_SUPERNODE = 3;
    /** The source (or the supernode on its behalf) failed. */
    public static final int SOURCE_ERROR = 4;
    /** The file's length or md5 is not what was expected. */
    public static final int DIGEST_MISMATCH = 5;
    /** {@code --timeout} passed. */
    public static final int TIMEOUT = 6;
    /** Interrupted (Ctrl-C). */
    public static final int CANCELLED = 130;

    private ExitCodes() {}

    public static int of(Failure f) {
        return switch (f) {
            case NO_SUPERNODE -> NO_SUPERNODE;
            case SOURCE_ERROR -> SOURCE_ERROR;
            case DIGEST_MISMATCH -> DIGEST_MISMATCH;
            case TIMEOUT -> TIMEOUT;
            case CANCELLED -> CANCELLED;
            case LOCAL_ERROR -> LOCAL_ERROR;
        };
    }
}
