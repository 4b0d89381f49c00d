package io.smalldragonfly.common.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.stream.Collectors;

/**
 * The one JSON configuration of the wire protocol: strict about types (a string where a number
 * belongs is an error, not a coercion) and tolerant of unknown fields (old clients send fields we
 * ignore; we add fields they ignore). Nulls are left out of what we write.
 */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // Absent primitives (old clients omit dfdaemon, insecure, ...) read as 0/false;
            // the services validate the values that matter (a port of 0 is rejected there).
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static String writeString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** Parses {@code body} as a {@code type}; any mismatch is a {@link ProtocolException} naming the field. */
    public static <T> T read(byte[] body, Class<T> type) {
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw new ProtocolException("body: empty (expected a JSON object)");
            }
            return value;
        } catch (IOException e) {
            throw translate(e, type.getSimpleName());
        }
    }

    public static <T> T read(String body, Class<T> type) {
        return read(body.getBytes(java.nio.charset.StandardCharsets.UTF_8), type);
    }

    public static <T> T convert(JsonNode node, Class<T> type) {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (IOException e) {
            throw translate(e, type.getSimpleName());
        }
    }

    public static <T> T convert(JsonNode node, TypeReference<T> type) {
        try {
            return MAPPER.treeToValue(node, MAPPER.getTypeFactory().constructType(type));
        } catch (IOException e) {
            throw translate(e, type.getType().getTypeName());
        }
    }

    public static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    private static RuntimeException translate(IOException e, String what) {
        if (e.getCause() instanceof ProtocolException pe) {
            return pe;
        }
        if (e instanceof MismatchedInputException mie) {
            String field = mie.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            String expected = mie.getTargetType() == null ? "another type" : simpleTypeName(mie.getTargetType());
            String got = mie instanceof InvalidFormatException ife ? " '" + ife.getValue() + "'" : "";
            return new ProtocolException((field.isEmpty() ? what : field) + ":" + got
                    + " has the wrong type (expected " + expected + ")", e);
        }
        if (e instanceof JsonProcessingException jpe) {
            return new ProtocolException("body: malformed JSON (expected a " + what + " object): "
                    + jpe.getOriginalMessage(), e);
        }
        return new UncheckedIOException(e);
    }

    private static String simpleTypeName(Class<?> type) {
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "a " + type.getSimpleName();
    }
}
