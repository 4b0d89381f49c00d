package io.smalldragonfly.common.protocol;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Query parameters of a protocol request: parsed from and written to the query string, with
 * typed accessors whose errors say which parameter is wrong and what was expected.
 */
public final class QueryParams {

    private final Map<String, List<String>> values;

    private QueryParams(Map<String, List<String>> values) {
        this.values = values;
    }

    public static QueryParams of(Map<String, List<String>> values) {
        return new QueryParams(new LinkedHashMap<>(values));
    }

    /** Parses {@code a=1&b=2}; a leading {@code ?} and a path before it are ignored. */
    public static QueryParams parse(String uriOrQuery) {
        int q = uriOrQuery.indexOf('?');
        String query = q >= 0 ? uriOrQuery.substring(q + 1) : uriOrQuery;
        Map<String, List<String>> values = new LinkedHashMap<>();
        if (!query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            }
        }
        return new QueryParams(values);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("query: bad percent-encoding in '" + s + "' (expected %XX escapes)");
        }
    }

    /**
     * Builds a query string from ordered name/value pairs; null values become empty. Characters
     * that are legal in a query ({@code A-Z a-z 0-9 - . _ ~ : / @}) stay as they are, so the
     * original client's requests (with {@code cdnnode:ip~id} cids) come out byte for byte.
     */
    public static String encode(Map<String, ?> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, ?> e : params.entrySet()) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            escape(e.getKey(), sb);
            sb.append('=');
            if (e.getValue() != null) {
                escape(String.valueOf(e.getValue()), sb);
            }
        }
        return sb.toString();
    }

    private static void escape(String s, StringBuilder out) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/' || c == '@') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
    }

    /** The parameter's value, or null when absent; empty strings are returned as they are. */
    public String optional(String name) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** The parameter's value, which must be present and non-empty. */
    public String required(String name, String expected) {
        String v = optional(name);
        if (v == null || v.isEmpty()) {
            throw new ProtocolException(name + ": missing (expected " + expected + ")");
        }
        return v;
    }

    public int requiredInt(String name, String expected) {
        String v = required(name, expected);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ProtocolException(name + ": '" + v + "' (expected " + expected + ")");
        }
    }

    public Map<String, List<String>> asMap() {
        return values;
    }
}
