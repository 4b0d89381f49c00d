package io.smalldragonfly.common.http;

import io.smalldragonfly.common.protocol.ResultCode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that must be answered with an HTTP error status. Thrown anywhere below the edge; the
 * {@link ErrorMapper} turns it into the response. The message goes to the client, so it says what
 * was wrong and what was expected, and never carries secrets. {@link #headers()} go out with the
 * answer ({@code Content-Range} of a 416, {@code WWW-Authenticate} of a 401 passed through).
 */
public class HttpStatusException extends RuntimeException {

    private final int status;
    private final ResultCode resultCode;
    private final Map<String, String> headers;

    public HttpStatusException(int status, ResultCode resultCode, String message) {
        this(status, resultCode, message, Map.of());
    }

    protected HttpStatusException(int status, ResultCode resultCode, String message, Map<String, String> headers) {
        super(message, null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected 400..599)");
        }
        this.status = status;
        this.resultCode = resultCode;
        this.headers = Map.copyOf(headers);
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

    /** This answer with one more response header. */
    public HttpStatusException withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new HttpStatusException(status, resultCode, getMessage(), h);
    }

    public int status() {
        return status;
    }

    public ResultCode resultCode() {
        return resultCode;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
