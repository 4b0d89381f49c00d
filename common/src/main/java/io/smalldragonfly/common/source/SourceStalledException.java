package io.smalldragonfly.common.source;

import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The source sent no byte for the client's whole timeout, while connecting aside: before its
 * answer's head or in the middle of its body. The message says so, with the option that sets it.
 */
public final class SourceStalledException extends SocketTimeoutException {

    public SourceStalledException(String where, Duration timeout, String option) {
        super("source " + where + " stalled: sent nothing for " + seconds(timeout) + " s"
                + (option == null ? "" : " (" + option + ")"));
    }

    /** {@code 2} for 2000 ms, {@code 0.3} for 300 ms. */
    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0);
    }
}
