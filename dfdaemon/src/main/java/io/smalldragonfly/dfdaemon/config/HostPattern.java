package io.smalldragonfly.dfdaemon.config;

import java.util.Locale;

/**
 * One entry of the forward proxy's allow-list ({@code --allow-host}, {@code allowed_hosts}):
 * {@code registry.example.com} (any port), {@code registry.example.com:5000} (that port only),
 * {@code *.example.com} (any subdomain, any port) or {@code *} (any host: an open relay, only for
 * isolated networks).
 */
public record HostPattern(String host, int port) {

    public static final int ANY_PORT = -1;

    public HostPattern {
        host = host.toLowerCase(Locale.ROOT);
        if (host.isEmpty() || host.indexOf('/') >= 0 || (host.contains("*") && !host.equals("*") && !host.startsWith("*."))
                || host.lastIndexOf('*') > 0) {
            throw new IllegalArgumentException("allowed host: '" + host
                    + "' (expected host, host:port, *.domain or *)");
        }
    }

    public static HostPattern parse(String spec) {
        String s = spec.trim();
        int colon = s.lastIndexOf(':');
        if (colon > 0 && s.indexOf(']') < colon && s.substring(colon + 1).chars().allMatch(Character::isDigit)
                && colon < s.length() - 1) {
            return new HostPattern(strip(s.substring(0, colon)), Integer.parseInt(s.substring(colon + 1)));
        }
        return new HostPattern(strip(s), ANY_PORT);
    }

    private static String strip(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    public boolean matches(String targetHost, int targetPort) {
        if (port != ANY_PORT && port != targetPort) {
            return false;
        }
        String h = strip(targetHost.toLowerCase(Locale.ROOT));
        if (host.equals("*")) {
            return true;
        }
        if (host.startsWith("*.")) {
            return h.endsWith(host.substring(1));
        }
        return h.equals(host);
    }

    @Override
    public String toString() {
        return port == ANY_PORT ? host : host + ":" + port;
    }
}
