package io.smalldragonfly.dfget;

import io.smalldragonfly.common.util.Sizes;
import io.smalldragonfly.dfget.engine.Download;
import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar on stderr: {@code [#####.....]  45%  120.0 MiB / 256.0 MiB  88.1 MiB/s}. */
final class ProgressBar {

    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final long start = System.nanoTime();

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    synchronized void update(Download.Progress p) {
        err.print("\r" + line(p));
        err.flush();
    }

    synchronized void done(Download.Progress p) {
        err.println("\r" + line(p));
        err.flush();
    }

    synchronized void clear() {
        err.print("\r" + " ".repeat(WIDTH + 60) + "\r");
        err.flush();
    }

    private String line(Download.Progress p) {
        double secs = Math.max(0.001, (System.nanoTime() - start) / 1e9);
        String rate = Sizes.format((long) (p.bytes() / secs)) + "/s";
        if (p.total() <= 0) {
            return String.format(Locale.ROOT, "[%s] %s  %s", "?".repeat(WIDTH), Sizes.format(p.bytes()), rate);
        }
        double f = Math.min(1.0, (double) p.bytes() / p.total());
        int filled = (int) (f * WIDTH);
        return String.format(Locale.ROOT, "[%s%s] %3.0f%%  %s / %s  %s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), f * 100, Sizes.format(p.bytes()), Sizes.format(p.total()), rate);
    }
}
