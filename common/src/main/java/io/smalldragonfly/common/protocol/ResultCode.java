package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The in-band result codes of the Dragonfly supernode API (the JSON {@code code} field).
 * This enum is the only place those numbers live.
 */
public enum ResultCode {
    OK(200),
    SYSTEM_ERROR(500),
    PARAM_ERROR(501),
    TARGET_NOT_FOUND(502),
    PEER_FINISH(600),
    PEER_CONTINUE(601),
    PEER_WAIT(602),
    PEER_LIMITED(603),
    CDN_FAIL(604),
    UNKNOWN_ERROR(605),
    TASK_CONFLICT(606),
    URL_NOT_REACHABLE(607),
    NEED_AUTH(608),
    WAIT_AUTH(609),
    SOURCE_ERROR(610),
    PIECE_REPORTED(611),
    PEER_DOWN_REPORTED(612);

    private final int code;

    ResultCode(int code) {
        this.code = code;
    }

    @JsonValue
    public int code() {
        return code;
    }

    /** The code's enum constant; unknown numbers are a protocol error, never silently mapped. */
    @JsonCreator
    public static ResultCode of(int code) {
        for (ResultCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        throw new ProtocolException("result code: " + code + " (expected one of 200, 500-502, 600-612)");
    }
}
