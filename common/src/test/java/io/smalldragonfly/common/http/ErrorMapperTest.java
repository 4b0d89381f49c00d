package io.smalldragonfly.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.BadInputException;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Exceptions to answers, by type: the same status and headers in either body form. */
class ErrorMapperTest {

    private static final class Unreachable extends RuntimeException implements InBandResult {
        Unreachable() {
            super("source: connection refused (expected a reachable URL)");
        }

        @Override
        public ResultCode code() {
            return ResultCode.URL_NOT_REACHABLE;
        }
    }

    private static ApiResponse envelope(Response r) {
        return Json.read(r.body(), ApiResponse.class);
    }

    private static String text(Response r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void anInBandResultIsHttp200WithItsCodeEvenWhenWrapped() {
        Response r = ErrorMapper.toResponse(new CompletionException(new Unreachable()), Request.get("/peer/registry"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(envelope(r).code()).isEqualTo(ResultCode.URL_NOT_REACHABLE.code());
        assertThat(envelope(r).msg()).contains("connection refused");
    }

    @Test
    void aStatusExceptionKeepsItsStatusAndHeaders() {
        HttpStatusException e = HttpStatusException.of(401, "registry answered HTTP 401")
                .withHeader("WWW-Authenticate", "Bearer realm=\"r\"");
        Response json = ErrorMapper.toResponse(e, null);
        Response text = ErrorMapper.toText(e, null);
        for (Response r : new Response[] {json, text}) {
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\"r\"");
        }
        assertThat(envelope(json).msg()).isEqualTo("registry answered HTTP 401");
        assertThat(text.contentType()).isEqualTo(Response.TEXT);
        assertThat(text(text)).isEqualTo("registry answered HTTP 401\n");
        assertThat(ErrorMapper.toResponse(new RangeNotSatisfiableException("Range: past the end", 7), null).headers())
                .containsEntry("Content-Range", "bytes */7");
    }

    @Test
    void badInputIs400WithWhatWasExpected() {
        for (RuntimeException e : new RuntimeException[] {new BadInputException("port: 'x' (expected 1..65535)"),
                new ProtocolException("port: 'x' (expected 1..65535)")}) {
            Response r = ErrorMapper.toResponse(e, Request.get("/peer/registry"));
            assertThat(r.status()).isEqualTo(400);
            assertThat(envelope(r).code()).isEqualTo(ResultCode.PARAM_ERROR.code());
            assertThat(envelope(r).msg()).isEqualTo("port: 'x' (expected 1..65535)");
        }
    }

    @Test
    void anythingElseIsABare500() {
        Response json = ErrorMapper.toResponse(new IllegalStateException("secret detail"), null);
        Response text = ErrorMapper.toText(new IllegalStateException("secret detail"), null);
        assertThat(json.status()).isEqualTo(500);
        assertThat(text.status()).isEqualTo(500);
        assertThat(envelope(json).code()).isEqualTo(ResultCode.SYSTEM_ERROR.code());
        assertThat(new String(json.body(), StandardCharsets.UTF_8)).doesNotContain("secret");
        assertThat(text(text)).isEqualTo("internal error\n");
    }
}
