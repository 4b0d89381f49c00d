package io.smalldragonfly.common.http;

import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.ResultCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become HTTP responses: typed client errors become a 4xx with
 * their message in the protocol envelope ({@code {"code":501,"msg":"..."}}); anything else is a
 * bug, logged here with its stack trace and answered with a bare 500 that leaks nothing.
 */
public final class ErrorMapper {

    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

    private ErrorMapper() {}

    public static Response toResponse(Throwable error, Request request) {
        Throwable t = unwrap(error);
        if (t instanceof RangeNotSatisfiableException rnse) {
            return Response.api(ApiResponse.of(rnse.resultCode(), rnse.getMessage()))
                    .withStatus(416)
                    .withHeader("Content-Range", "bytes */" + rnse.resourceLength());
        }
        if (t instanceof HttpStatusException hse) {
            return Response.api(ApiResponse.of(hse.resultCode(), hse.getMessage())).withStatus(hse.status());
        }
        if (t instanceof ProtocolException || t instanceof IllegalArgumentException && isInputError(t)) {
            return Response.api(ApiResponse.of(ResultCode.PARAM_ERROR, t.getMessage())).withStatus(400);
        }
        log.error("unexpected error serving {} {}", request == null ? "?" : request.method(),
                request == null ? "?" : request.path(), t);
        return Response.api(ApiResponse.of(ResultCode.SYSTEM_ERROR, "internal error")).withStatus(500);
    }

    /** Input parsers in common throw IllegalArgumentException with an "(expected ...)" message. */
    private static boolean isInputError(Throwable t) {
        return t.getMessage() != null && t.getMessage().contains("(expected");
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
