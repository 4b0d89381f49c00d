package io.smalldragonfly.dfdaemon.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.config.HostPattern;
import io.smalldragonfly.dfdaemon.config.ProxyRule;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The routing table: which requests go P2P, which are relayed, tunnelled or refused. */
class RouterTest {

    static final String D = "sha256:abababababababababababababababababababababababababababababababab";

    static final Router ROUTER = new Router(DfdaemonConfig.forRegistry(URI.create("https://registry.example.com"), Path.of("/tmp"))
            .withRules(List.of(
                    new ProxyRule(Pattern.compile("nop2p\\.example\\.com"), false, true),
                    new ProxyRule(Pattern.compile("files\\.example\\.com/.*\\.tar$"), true, false),
                    ProxyRule.p2p("blobs/sha256.*")))
            .withAllowedHosts(List.of(HostPattern.parse("files.example.com"), HostPattern.parse("*.example.org"),
                    HostPattern.parse("nop2p.example.com"), HostPattern.parse("tunnel.example.net:443"))));

    @ParameterizedTest(name = "{0} {1} -> {2} {3}")
    @CsvSource(delimiter = '|', value = {
        // reverse proxy: only blob GETs by sha256 digest go P2P
        "GET     | /v2/library/busybox/blobs/" + D + "        | REGISTRY_BLOB | https://registry.example.com/v2/library/busybox/blobs/" + D,
        "GET     | /v2/a/b/c/blobs/" + D + "?ns=docker.io     | REGISTRY_BLOB | https://registry.example.com/v2/a/b/c/blobs/" + D,
        "HEAD    | /v2/library/busybox/blobs/" + D + "        | REGISTRY      | https://registry.example.com/v2/library/busybox/blobs/" + D,
        "GET     | /v2/library/busybox/blobs/sha256:abc       | REGISTRY      | https://registry.example.com/v2/library/busybox/blobs/sha256:abc",
        "GET     | /v2/library/busybox/blobs/sha512:" + D + " | REGISTRY      | https://registry.example.com/v2/library/busybox/blobs/sha512:" + D,
        "GET     | /v2/                                        | REGISTRY      | https://registry.example.com/v2/",
        "GET     | /v2/library/busybox/manifests/latest        | REGISTRY      | https://registry.example.com/v2/library/busybox/manifests/latest",
        "GET     | /v2/library/busybox/manifests/" + D + "    | REGISTRY      | https://registry.example.com/v2/library/busybox/manifests/" + D,
        "HEAD    | /v2/library/busybox/manifests/latest        | REGISTRY      | https://registry.example.com/v2/library/busybox/manifests/latest",
        "GET     | /v2/library/busybox/tags/list?n=10          | REGISTRY      | https://registry.example.com/v2/library/busybox/tags/list?n=10",
        "POST    | /v2/library/busybox/blobs/uploads/          | REGISTRY      | https://registry.example.com/v2/library/busybox/blobs/uploads/",
        "GET     | /_ping                                      | PING          | ",
        "GET     | /metrics                                    | METRICS       | ",
        // forward proxy: rules decide P2P, the allow-list decides whether at all
        "GET     | http://files.example.com/a/b.tar            | PROXY_P2P     | https://files.example.com/a/b.tar",
        "GET     | http://files.example.com/a/b.txt            | PROXY         | http://files.example.com/a/b.txt",
        "POST    | http://files.example.com/a/b.tar            | PROXY         | http://files.example.com/a/b.tar",
        "GET     | http://x.example.org/v2/x/blobs/sha256:12   | PROXY_P2P     | http://x.example.org/v2/x/blobs/sha256:12",
        "GET     | http://nop2p.example.com/v2/x/blobs/sha256:1| PROXY         | http://nop2p.example.com/v2/x/blobs/sha256:1",
        "GET     | https://registry.example.com/v2/            | PROXY         | https://registry.example.com/v2/",
        "GET     | http://evil.example.net/v2/x/blobs/sha256:1 | DENIED        | ",
        "GET     | http://example.org/                         | DENIED        | ",
        "GET     | ftp://files.example.com/x                   | BAD_REQUEST   | ",
        // CONNECT: tunnels to allowed host:port only
        "CONNECT | tunnel.example.net:443                      | TUNNEL        | tcp://tunnel.example.net:443",
        "CONNECT | tunnel.example.net:22                       | DENIED        | ",
        "CONNECT | registry.example.com:443                    | TUNNEL        | tcp://registry.example.com:443",
        "CONNECT | registry.example.com:80                     | DENIED        | ",
        "CONNECT | a.example.org:8443                          | TUNNEL        | tcp://a.example.org:8443",
        "CONNECT | 10.0.0.1:443                                | DENIED        | ",
        "CONNECT | noport.example.org                          | BAD_REQUEST   | ",
    })
    void routes(String method, String target, Route.Kind kind, String upstream) {
        Route r = ROUTER.route(method, target);
        assertThat(r.kind()).as(r.reason()).isEqualTo(kind);
        assertThat(r.target() == null ? null : r.target().toString()).isEqualTo(upstream);
        if (kind == Route.Kind.REGISTRY_BLOB) {
            assertThat(r.digest()).contains(D);
        }
        if (kind == Route.Kind.DENIED || kind == Route.Kind.BAD_REQUEST) {
            assertThat(r.reason()).contains("expected");
        }
    }

    @ParameterizedTest
    @CsvSource({"*, any.host, 1, true", "a.com, A.COM, 80, true", "a.com:80, a.com, 81, false",
                "*.a.com, x.y.a.com, 1, true", "*.a.com, a.com, 1, false", "*.a.com, evila.com, 1, false",
                "[::1]:5000, ::1, 5000, true"})
    void hostPatterns(String pattern, String host, int port, boolean allowed) {
        assertThat(HostPattern.parse(pattern).matches(host, port)).isEqualTo(allowed);
    }
}
