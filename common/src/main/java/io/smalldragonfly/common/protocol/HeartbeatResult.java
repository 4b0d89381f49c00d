package io.smalldragonfly.common.protocol;

import java.util.List;

/** {@code data} of a heartbeat answer: whether the peer must register again, and its seed tasks. */
public record HeartbeatResult(boolean needRegister, List<String> seedTaskIDs, String version) {
    public HeartbeatResult {
        seedTaskIDs = seedTaskIDs == null ? List.of() : List.copyOf(seedTaskIDs);
    }
}
