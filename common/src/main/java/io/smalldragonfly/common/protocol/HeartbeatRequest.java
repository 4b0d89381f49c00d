package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Body of {@code POST /peer/heartbeat} (1.x), with the original's capitalised field names. */
public record HeartbeatRequest(@JsonProperty("IP") String ip, @JsonProperty("cID") String cid,
                               @JsonProperty("port") int port) {}
