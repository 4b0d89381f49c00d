package io.smalldragonfly.dfget.peer;

import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.Failure;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One line of the peer process's answer to {@code POST /client/download} (newline-delimited JSON):
 * {@code accepted} once the download runs (its task id), {@code progress} every 200 ms, then
 * exactly one of {@code done} (with the result) or {@code failed} (with the failure and message).
 * A stream that ends without one of those means the peer process stopped mid-download.
 */
public record PeerEvent(String event, String taskId, Long bytes, Long total, Finished result, String failure,
                        String message) {

    public static final String ACCEPTED = "accepted";
    public static final String PROGRESS = "progress";
    public static final String DONE = "done";
    public static final String FAILED = "failed";
    /** {@link #failure} of an order the engine refused as given (the client's usage error, exit 2). */
    public static final String USAGE = "usage";

    static PeerEvent accepted(String taskId) {
        return new PeerEvent(ACCEPTED, taskId, null, null, null, null, null);
    }

    static PeerEvent progress(long bytes, long total) {
        return new PeerEvent(PROGRESS, null, bytes, total, null, null, null);
    }

    static PeerEvent done(DownloadResult r) {
        return new PeerEvent(DONE, r.taskId(), null, null, Finished.of(r), null, null);
    }

    static PeerEvent failed(String taskId, DownloadException e) {
        return new PeerEvent(FAILED, taskId, null, null, null, e.failure().name().toLowerCase(Locale.ROOT),
                e.getMessage());
    }

    static PeerEvent usage(String message) {
        return new PeerEvent(FAILED, null, null, null, null, USAGE, message);
    }

    public boolean terminal() {
        return DONE.equals(event) || FAILED.equals(event);
    }

    /** The failure of a {@code failed} event as the engine's type; null for a usage error. */
    public DownloadException exception() {
        if (USAGE.equals(failure)) {
            return null;
        }
        Failure f;
        try {
            f = Failure.valueOf(String.valueOf(failure).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            f = Failure.LOCAL_ERROR;
        }
        return new DownloadException(f, message);
    }

    /** {@link DownloadResult} on the wire (paths as strings). */
    public record Finished(String url, String output, String taskId, long length, double seconds, long fromPeers,
                           long fromSupernode, long fromSource, long fromLocal, String md5, String supernode,
                           String verified) {

        static Finished of(DownloadResult r) {
            return new Finished(r.url(), r.output().toString(), r.taskId(), r.length(), r.seconds(), r.fromPeers(),
                    r.fromSupernode(), r.fromSource(), r.fromLocal(), r.md5(), r.supernode(), r.verified());
        }

        public DownloadResult toResult() {
            return new DownloadResult(url, Path.of(output), taskId, length, seconds, fromPeers, fromSupernode,
                    fromSource, fromLocal, md5, supernode, verified);
        }
    }
}
