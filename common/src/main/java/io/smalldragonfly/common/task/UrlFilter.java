package io.smalldragonfly.common.task;

import io.smalldragonfly.common.BadInputException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The {@code --filter} of dfget and dfdaemon's {@code --urlfilter}: query keys such as signatures and
 * expiry times that differ between requests for the same file, removed from the URL before the task
 * id is computed so that all those requests share one task.
 */
public record UrlFilter(Set<String> keys) {

    public static final UrlFilter NONE = new UrlFilter(Set.of());

    public UrlFilter {
        keys = Set.copyOf(keys);
    }

    /** Parses {@code k1&k2}; blank means no filter. */
    public static UrlFilter parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        Set<String> keys = new LinkedHashSet<>();
        Arrays.stream(spec.split("&")).map(String::trim).filter(k -> !k.isEmpty()).forEach(keys::add);
        return new UrlFilter(keys);
    }

    /**
     * The URL without the filtered query keys, everything else (order, encoding, fragment) kept
     * byte for byte, so an unfiltered URL is returned unchanged.
     */
    public String apply(String url) {
        int q = url.indexOf('?');
        if (keys.isEmpty() || q < 0) {
            return url;
        }
        int hash = url.indexOf('#', q);
        String query = hash < 0 ? url.substring(q + 1) : url.substring(q + 1, hash);
        String fragment = hash < 0 ? "" : url.substring(hash);
        StringJoiner kept = new StringJoiner("&");
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (!keys.contains(key) && !pair.isEmpty()) {
                kept.add(pair);
            }
        }
        String base = url.substring(0, q);
        return (kept.length() == 0 ? base : base + "?" + kept) + fragment;
    }

    /** Checks that {@code url} is an absolute http(s) URL with a host; the message says what was expected. */
    public static URI requireHttpUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new BadInputException("url: missing (expected an http:// or https:// URL)");
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new BadInputException("url: '" + url + "' (expected an http:// or https:// URL)");
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new BadInputException("url: '" + url + "' has no host (expected http://host[:port]/path)");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new BadInputException("url: '" + url + "' is malformed: " + e.getReason()
                    + " (expected an http:// or https:// URL, percent-encoded)");
        }
    }
}
