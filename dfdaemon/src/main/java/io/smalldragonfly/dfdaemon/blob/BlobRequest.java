package io.smalldragonfly.dfdaemon.blob;

import io.smalldragonfly.common.source.SourceHttpClient;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One blob to fetch.
 *
 * @param url     where the blob lives at the source: for registry blobs the registry's own
 *                {@code .../v2/<name>/blobs/sha256:<hex>} URL (before any redirect to storage,
 *                so it is stable across pulls); for forward-proxy rules the requested URL
 * @param headers the headers to send to the source, names in lowercase, including the client's
 *                {@code authorization}; hop-by-hop, {@code host}, {@code range} and
 *                {@code accept-encoding} already removed
 * @param digest  {@code sha256:<64 hex>} for registry blobs: the task identifier (so every pull of
 *                a layer shares one task, whatever URL the registry redirects to) and the checksum
 *                the proxy verifies; empty for forward-proxy GETs, whose task is keyed by the
 *                filtered URL alone
 */
public record BlobRequest(URI url, Map<String, String> headers, Optional<String> digest) {

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    public BlobRequest {
        Objects.requireNonNull(url, "url");
        Map<String, String> lower = new LinkedHashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        headers = java.util.Collections.unmodifiableMap(lower);
        digest.ifPresent(d -> {
            if (!DIGEST.matcher(d).matches()) {
                throw new IllegalArgumentException("digest: '" + d + "' (expected sha256:<64 lowercase hex>)");
            }
        });
    }

    public static BlobRequest of(URI url, Map<String, String> headers, String digest) {
        return new BlobRequest(url, headers, Optional.ofNullable(digest));
    }

    /**
     * The task identifier: the full digest {@code sha256:<hex>} (not the bare hex). Every node must
     * use the same form, or one layer becomes two tasks.
     */
    public Optional<String> identifier() {
        return digest;
    }

    /** Credentials stay out of logs even when a request is printed whole. */
    @Override
    public String toString() {
        return "BlobRequest[url=" + redact(url) + ", headers=" + headers.keySet() + ", digest=" + digest.orElse("-") + "]";
    }

    /** A URL safe to log: no user-info and no query (which may carry signatures). */
    public static String redact(URI url) {
        return SourceHttpClient.redact(url);
    }
}
