package io.smalldragonfly.common.protocol;

import java.util.Map;

/**
 * Body of {@code POST /preheats}: warm the CDN with {@code url} before a rollout.
 *
 * @param type    {@code file} (or {@code image} in 1.x; we treat both as one URL)
 * @param filter  query keys to drop from the task URL, {@code k1&k2}
 */
public record PreheatRequest(String type, String url, Map<String, String> headers, String filter,
                             String identifier) {
    public PreheatRequest {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
}
