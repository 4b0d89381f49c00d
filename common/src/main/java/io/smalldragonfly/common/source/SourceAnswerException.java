package io.smalldragonfly.common.source;

import java.io.IOException;

/**
 * The source answered something a client must not take: not HTTP/1.x, a status out of range, a
 * {@code Content-Range} for other bytes than were asked, a {@code Content-Length} that contradicts
 * it, too many redirects. Retrying the same request is not expected to help.
 */
public final class SourceAnswerException extends IOException {

    public SourceAnswerException(String message) {
        super(message);
    }
}
