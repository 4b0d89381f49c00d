package io.smalldragonfly.dfdaemon.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The nested parts of the original 1.x {@code dfdaemon} YAML file, which flag-shaped defaults
 * ({@code LayeredDefaults}) cannot express:
 * <pre>
 * registry_mirror:
 *   remote: https://registry.example.com
 *   insecure: false
 *   certs: [/etc/dfdaemon/registry-ca.pem]
 * proxies:
 *   - regx: blobs/sha256.*
 *   - regx: files.example.com/
 *     use_https: true
 *   - regx: no-p2p.example.com
 *     direct: true
 * allowed_hosts: [files.example.com, "*.example.org"]   # ours: the forward proxy's allow-list
 * </pre>
 * The original's {@code hijack_https} (TLS interception) is not supported: it is reported as an
 * error rather than silently ignored.
 */
public record MirrorConfigFile(Optional<String> remote, boolean insecure, List<Path> certs,
                               List<ProxyRule> proxies, List<HostPattern> allowedHosts) {

    public static final MirrorConfigFile EMPTY =
            new MirrorConfigFile(Optional.empty(), false, List.of(), List.of(), List.of());

    public static MirrorConfigFile read(Path path) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(path));
        } catch (IOException e) {
            throw new IllegalArgumentException("config: cannot read '" + path + "' (" + e.getMessage()
                    + "); expected the dfdaemon YAML file");
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return EMPTY;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("config: '" + path + "' (expected a YAML mapping)");
        }
        if (root.has("hijack_https") && !root.get("hijack_https").isNull()) {
            throw new IllegalArgumentException("config: hijack_https is not supported (expected CONNECT to be "
                    + "tunnelled; remove hijack_https and configure the registry as registry_mirror)");
        }
        JsonNode mirror = root.path("registry_mirror");
        Optional<String> remote = text(mirror.path("remote"));
        boolean insecure = mirror.path("insecure").asBoolean(false);
        List<Path> certs = new ArrayList<>();
        for (JsonNode c : list(mirror.path("certs"))) {
            certs.add(Path.of(c.asText()));
        }
        List<ProxyRule> proxies = new ArrayList<>();
        for (JsonNode p : list(root.path("proxies"))) {
            String regx = text(p.path("regx")).orElseThrow(() -> new IllegalArgumentException(
                    "config: a proxies entry has no regx (expected - regx: <regex>)"));
            proxies.add(new ProxyRule(ProxyRule.compile(regx), p.path("use_https").asBoolean(false),
                    p.path("direct").asBoolean(false)));
        }
        List<HostPattern> hosts = new ArrayList<>();
        for (JsonNode h : list(root.path("allowed_hosts"))) {
            hosts.add(HostPattern.parse(h.asText()));
        }
        return new MirrorConfigFile(remote, insecure, List.copyOf(certs), List.copyOf(proxies), List.copyOf(hosts));
    }

    private static Optional<String> text(JsonNode n) {
        return n.isValueNode() && !n.asText().isBlank() ? Optional.of(n.asText().trim()) : Optional.empty();
    }

    private static List<JsonNode> list(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(out::add);
        } else if (n.isValueNode() && !n.isNull()) {
            out.add(n);
        }
        return out;
    }
}
