package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.protocol.ResultCode;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which sources the CDN may fetch: the supernode fetches URLs that clients name, so operators close
 * the SSRF door with a deny list (and optionally an allow list) of host names and CIDRs.
 *
 * <p>An entry is a CIDR ({@code 10.0.0.0/8}, {@code ::1/128}), an IP, a host name ({@code
 * registry.example.com}) or a domain suffix ({@code .example.com}, matching its subdomains).
 * Host entries match the URL's host; IP and CIDR entries match every address the host resolves
 * to. Deny wins; a non-empty allow list admits only what it matches. Only http and https pass.
 * Resolution blocks, so {@link #check} runs on fetch threads, never on an event loop.
 */
public final class SourcePolicy {

    private record Cidr(byte[] network, int prefix) {
        boolean matches(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (b[full] & mask) == (network[full] & mask);
        }
    }

    private final List<String> allowHosts = new ArrayList<>();
    private final List<Cidr> allowCidrs = new ArrayList<>();
    private final List<String> denyHosts = new ArrayList<>();
    private final List<Cidr> denyCidrs = new ArrayList<>();

    public SourcePolicy(List<String> allow, List<String> deny) {
        for (String a : allow) {
            parse(a, allowHosts, allowCidrs);
        }
        for (String d : deny) {
            parse(d, denyHosts, denyCidrs);
        }
    }

    public static SourcePolicy allowAll() {
        return new SourcePolicy(List.of(), List.of());
    }

    private static void parse(String entry, List<String> hosts, List<Cidr> cidrs) {
        String e = entry.trim().toLowerCase(Locale.ROOT);
        if (e.isEmpty()) {
            return;
        }
        int slash = e.indexOf('/');
        String addr = slash < 0 ? e : e.substring(0, slash);
        if (isIpLiteral(addr)) {
            try {
                byte[] net = InetAddress.getByName(addr).getAddress();
                int prefix = slash < 0 ? net.length * 8 : Integer.parseInt(e.substring(slash + 1));
                if (prefix < 0 || prefix > net.length * 8) {
                    throw new NumberFormatException();
                }
                cidrs.add(new Cidr(net, prefix));
            } catch (UnknownHostException | NumberFormatException ex) {
                throw new IllegalArgumentException("source list: '" + entry
                        + "' (expected a host, .domain, IP or CIDR such as 10.0.0.0/8)");
            }
        } else if (slash >= 0) {
            throw new IllegalArgumentException("source list: '" + entry
                    + "' (expected a host, .domain, IP or CIDR such as 10.0.0.0/8)");
        } else {
            hosts.add(e);
        }
    }

    private static boolean isIpLiteral(String s) {
        return s.contains(":") || s.matches("[0-9.]+");
    }

    /** Throws a 607 {@link SourceException} unless {@code uri} may be fetched. */
    public void check(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE,
                    "url: '" + uri + "' (expected an http:// or https:// URL)");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "url: '" + uri + "' has no host");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (allowHosts.isEmpty() && allowCidrs.isEmpty() && denyHosts.isEmpty() && denyCidrs.isEmpty()) {
            return;
        }
        if (matchesHost(denyHosts, host)) {
            throw denied(host);
        }
        InetAddress[] addrs = new InetAddress[0];
        if (!denyCidrs.isEmpty() || !allowCidrs.isEmpty()) {
            try {
                addrs = InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source host '" + host + "' does not resolve");
            }
        }
        for (InetAddress a : addrs) {
            for (Cidr c : denyCidrs) {
                if (c.matches(a)) {
                    throw denied(host);
                }
            }
        }
        if (allowHosts.isEmpty() && allowCidrs.isEmpty()) {
            return;
        }
        if (matchesHost(allowHosts, host)) {
            return;
        }
        if (addrs.length > 0) {
            boolean all = true;
            for (InetAddress a : addrs) {
                boolean one = false;
                for (Cidr c : allowCidrs) {
                    one |= c.matches(a);
                }
                all &= one;
            }
            if (all) {
                return;
            }
        }
        throw new SourceException(ResultCode.URL_NOT_REACHABLE,
                "source host '" + host + "' is not in the supernode's source allow list");
    }

    private static SourceException denied(String host) {
        return new SourceException(ResultCode.URL_NOT_REACHABLE,
                "source host '" + host + "' is denied by the supernode's source deny list");
    }

    private static boolean matchesHost(List<String> patterns, String host) {
        for (String p : patterns) {
            if (p.startsWith(".") ? host.endsWith(p) || host.equals(p.substring(1)) : host.equals(p)) {
                return true;
            }
        }
        return false;
    }
}
