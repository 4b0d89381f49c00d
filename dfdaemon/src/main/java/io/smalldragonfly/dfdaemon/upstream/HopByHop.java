package io.smalldragonfly.dfdaemon.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.smalldragonfly.common.source.SourceHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Header hygiene of a proxy (RFC 9110 section 7.6.1, LittleProxy's {@code ProxyUtils}): the
 * hop-by-hop headers, from this one constant set plus whatever a message's {@code Connection}
 * header names, never cross dfdaemon; every relayed message gets a {@code Via}.
 */
public final class HopByHop {

    /** Lowercase names of the headers that belong to one connection only (the source client's too). */
    public static final Set<String> HEADERS = SourceHeaders.HOP_BY_HOP;

    /** What dfdaemon adds to {@code Via}: protocol version and pseudonym. */
    public static final String VIA = "1.1 dfdaemon";

    private HopByHop() {}

    /** Removes the hop-by-hop headers, including those the {@code Connection} header lists. */
    public static void strip(HttpHeaders headers) {
        List<String> named = new ArrayList<>();
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    named.add(t);
                }
            }
        }
        named.forEach(headers::remove);
        HEADERS.forEach(headers::remove);
    }

    public static boolean isHopByHop(String name) {
        return HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }

    public static void addVia(HttpHeaders headers) {
        headers.add(HttpHeaderNames.VIA, VIA);
    }
}
