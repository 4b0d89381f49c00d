package io.smalldragonfly.common.http;

import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** An HTTP response as plain data; the edge writes it. */
public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

    public static final String JSON = "application/json;charset=UTF-8";
    public static final String TEXT = "text/plain;charset=UTF-8";

    public Response {
        headers = Map.copyOf(headers);
    }

    public static Response json(int status, Object value) {
        return new Response(status, JSON, Json.write(value), Map.of());
    }

    /** A protocol answer: HTTP 200 with the result code in the envelope, as the original supernode. */
    public static Response api(ApiResponse value) {
        return json(200, value);
    }

    public static Response text(int status, String text) {
        return new Response(status, TEXT, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public static Response of(int status, String contentType, byte[] body) {
        return new Response(status, contentType, body, Map.of());
    }

    public Response withStatus(int newStatus) {
        return new Response(newStatus, contentType, body, headers);
    }

    public Response withHeader(String name, String value) {
        Map<String, String> h = new java.util.LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, contentType, body, h);
    }
}
