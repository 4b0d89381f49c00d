package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The {@code status} parameter of {@code GET /peer/task}: where the client is in its download. */
public enum PeerTaskStatus {
    START(700),
    RUNNING(701),
    FINISH(702);

    private final int code;

    PeerTaskStatus(int code) {
        this.code = code;
    }

    @JsonValue
    public int code() {
        return code;
    }

    @JsonCreator
    public static PeerTaskStatus of(int code) {
        for (PeerTaskStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new ProtocolException("status: " + code + " (expected 700, 701 or 702)");
    }
}
