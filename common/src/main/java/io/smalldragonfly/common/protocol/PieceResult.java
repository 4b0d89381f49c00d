package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The {@code result} parameter of {@code GET /peer/task}: how the piece just fetched went. */
public enum PieceResult {
    FAIL(500),
    SUCCESS(501),
    INVALID(502),
    SEMI_SUCCESS(503);

    private final int code;

    PieceResult(int code) {
        this.code = code;
    }

    @JsonValue
    public int code() {
        return code;
    }

    @JsonCreator
    public static PieceResult of(int code) {
        for (PieceResult r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new ProtocolException("result: " + code + " (expected 500, 501, 502 or 503)");
    }
}
