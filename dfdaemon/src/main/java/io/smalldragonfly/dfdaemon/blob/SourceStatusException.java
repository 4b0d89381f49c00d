package io.smalldragonfly.dfdaemon.blob;

import java.util.Optional;

/**
 * The source answered a blob GET with an error status (after following redirects). The proxy
 * passes status and {@code WWW-Authenticate} back to the client, so docker sees what the registry
 * said (401 and a token challenge, 404 for an unknown blob).
 */
public final class SourceStatusException extends RuntimeException {

    private final int status;
    private final Optional<String> wwwAuthenticate;

    public SourceStatusException(int status, String where, Optional<String> wwwAuthenticate) {
        super(where + " answered HTTP " + status, null, false, false);
        this.status = status;
        this.wwwAuthenticate = wwwAuthenticate;
    }

    public int status() {
        return status;
    }

    public Optional<String> wwwAuthenticate() {
        return wwwAuthenticate;
    }
}
