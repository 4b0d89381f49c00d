package io.smalldragonfly.common;

/**
 * Outside input (a request, a URL, a header) that does not have the expected form. The message
 * says what was wrong and what was expected, and goes back to whoever sent it; servers answer it
 * with a 400 and never treat it as their own bug (the http {@code ErrorMapper} decides by this type).
 * A subclass of {@link IllegalArgumentException}, so callers that validate arguments catch it too.
 */
public class BadInputException extends IllegalArgumentException {

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
