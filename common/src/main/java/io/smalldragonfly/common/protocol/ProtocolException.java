package io.smalldragonfly.common.protocol;

/** A message on the wire does not follow the Dragonfly protocol. The message says what was expected. */
public class ProtocolException extends RuntimeException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
