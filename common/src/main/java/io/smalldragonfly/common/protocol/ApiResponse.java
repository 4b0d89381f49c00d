package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The one envelope of every supernode answer: {@code {"code":601,"msg":"...","data":...}}.
 * {@code data} stays a tree until the reader, who knows the code, asks for its type.
 */
public record ApiResponse(int code, String msg, JsonNode data) {

    public static ApiResponse of(ResultCode code, String msg) {
        return new ApiResponse(code.code(), msg, null);
    }

    public static ApiResponse of(ResultCode code, Object data) {
        return new ApiResponse(code.code(), null, data == null ? null : Json.tree(data));
    }

    public static ApiResponse success() {
        return of(ResultCode.OK, "success");
    }

    public ResultCode resultCode() {
        return ResultCode.of(code);
    }

    public <T> T data(Class<T> type) {
        if (data == null || data.isNull()) {
            throw new ProtocolException("data: missing in a " + code + " answer (expected a " + type.getSimpleName() + ")");
        }
        return Json.convert(data, type);
    }

    public <T> T data(TypeReference<T> type) {
        if (data == null || data.isNull()) {
            throw new ProtocolException("data: missing in a " + code + " answer");
        }
        return Json.convert(data, type);
    }
}
