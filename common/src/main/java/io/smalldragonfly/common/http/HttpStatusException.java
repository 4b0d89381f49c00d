package io.smalldragonfly.common.http;

import io.smalldragonfly.common.protocol.ResultCode;

/**
 * A request that must be answered with an HTTP error status. Thrown anywhere below the edge; the
 * {@link ErrorMapper} turns it into the response. The message goes to the client, so it says what
 * was wrong and what was expected, and never carries secrets.
 */
public class HttpStatusException extends RuntimeException {

    private final int status;
    private final ResultCode resultCode;

    public HttpStatusException(int status, ResultCode resultCode, String message) {
        super(message, null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected 400..599)");
        }
        this.status = status;
        this.resultCode = resultCode;
    }

    public static HttpStatusException of(int status, String message) {
        ResultCode code = status >= 500 ? ResultCode.SYSTEM_ERROR
                : status == 404 ? ResultCode.TARGET_NOT_FOUND : ResultCode.PARAM_ERROR;
        return new HttpStatusException(status, code, message);
    }

    public static HttpStatusException badRequest(String message) {
        return of(400, message);
    }

    public static HttpStatusException notFound(String message) {
        return of(404, message);
    }

    public int status() {
        return status;
    }

    public ResultCode resultCode() {
        return resultCode;
    }
}
