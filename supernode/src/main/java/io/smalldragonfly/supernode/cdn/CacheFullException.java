package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.protocol.ResultCode;
import java.io.IOException;

/**
 * The CDN's own disk has no room for a task, even after evicting every idle task: the supernode's
 * problem, not the source's. Answered 604 with a message starting {@code cache full:}, and never
 * remembered as a failure of the task (the next registration tries again, when room may have been
 * made).
 */
public final class CacheFullException extends SourceException {

    public CacheFullException(String message) {
        super(ResultCode.CDN_FAIL, message);
    }

    /** Whether a write failed because the file system is full (ENOSPC) or the quota is reached (EDQUOT). */
    static boolean isDiskFull(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }
}
