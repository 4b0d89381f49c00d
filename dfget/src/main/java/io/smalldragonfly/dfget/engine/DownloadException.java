package io.smalldragonfly.dfget.engine;

/** A download that did not produce its file; {@link #failure()} says why. */
public final class DownloadException extends Exception {

    private final Failure failure;

    public DownloadException(Failure failure, String message) {
        super(message);
        this.failure = failure;
    }

    public DownloadException(Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}
