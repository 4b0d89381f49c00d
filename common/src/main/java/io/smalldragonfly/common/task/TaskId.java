package io.smalldragonfly.common.task;

import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.util.Digests;
import java.nio.charset.StandardCharsets;

/**
 * A task's id: {@code sha256(SALT + taskUrl + (md5 | identifier | "") + SALT)} in lowercase hex,
 * as the original supernode computes it, so our supernode and the original agree on every id.
 */
public record TaskId(String value) {

    /** The original's fixed salt (from its TaskServiceImpl). */
    static final String SALT = ">I$pg-~AS~sP'rqu_`Oh&lz#9]\"=;nE%";

    public TaskId {
        if (!isValid(value)) {
            throw new ProtocolException("taskId: '" + value + "' (expected 64 lowercase hex characters)");
        }
    }

    public static TaskId of(String value) {
        return new TaskId(value);
    }

    /**
     * @param taskUrl    the URL with filtered query keys removed ({@link UrlFilter})
     * @param md5        the expected md5 of the file, or null
     * @param identifier the user's identifier of the file, or null; ignored when md5 is given
     */
    public static TaskId compute(String taskUrl, String md5, String identifier) {
        String extra = notEmpty(md5) ? md5 : notEmpty(identifier) ? identifier : "";
        return new TaskId(Digests.sha256Hex((SALT + taskUrl + extra + SALT).getBytes(StandardCharsets.UTF_8)));
    }

    public static boolean isValid(String value) {
        if (value == null || value.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    @Override
    public String toString() {
        return value;
    }
}
