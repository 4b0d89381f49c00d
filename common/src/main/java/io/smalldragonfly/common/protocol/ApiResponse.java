package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * The one envelope of every supernode answer: {@code {"code":601,"msg":"...","data":...}}.
 * Read from the wire, {@code data} stays a tree until the reader, who knows the code, asks for its
 * type; built by a server, it is the answer's own object, serialized once when the envelope is
 * written (no detour through a tree on the {@code /peer/task} path).
 */
public record ApiResponse(int code, String msg, @JsonDeserialize(as = JsonNode.class) Object data) {

    public static ApiResponse of(ResultCode code, String msg) {
        return new ApiResponse(code.code(), msg, null);
    }

    public static ApiResponse of(ResultCode code, Object data) {
        return new ApiResponse(code.code(), null, data);
    }

    public static ApiResponse success() {
        return of(ResultCode.OK, "success");
    }

    public ResultCode resultCode() {
        return ResultCode.of(code);
    }

    public <T> T data(Class<T> type) {
        if (absent()) {
            throw new ProtocolException("data: missing in a " + code + " answer (expected a " + type.getSimpleName() + ")");
        }
        return Json.convert(tree(), type);
    }

    public <T> T data(TypeReference<T> type) {
        if (absent()) {
            throw new ProtocolException("data: missing in a " + code + " answer");
        }
        return Json.convert(tree(), type);
    }

    private boolean absent() {
        return data == null || data instanceof JsonNode n && n.isNull();
    }

    private JsonNode tree() {
        return data instanceof JsonNode n ? n : Json.tree(data);
    }
}
