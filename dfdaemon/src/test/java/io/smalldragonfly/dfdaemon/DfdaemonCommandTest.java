package io.smalldragonfly.dfdaemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.dfdaemon.config.DfdaemonConfig;
import io.smalldragonfly.dfdaemon.config.HostPattern;
import io.smalldragonfly.dfdaemon.config.ProxyRule;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flags, the original 1.x YAML file, and how they combine. */
class DfdaemonCommandTest {

    @TempDir
    Path dir;

    static DfdaemonConfig parse(String... args) {
        CommandLine cl = DfdaemonMain.commandLine(args);
        cl.parseArgs(args);
        return ((DfdaemonCommand) cl.getCommand()).toConfig();
    }

    @Test
    void theSeedsDockerRunForm() {
        DfdaemonConfig c = parse("--registry", "https://index.docker.io");
        assertThat(c.registry()).isEqualTo(URI.create("https://index.docker.io"));
        assertThat(c.port()).isEqualTo(65001);
        assertThat(c.urlFilter().keys()).containsExactlyInAnyOrder("Signature", "Expires", "OSSAccessKeyId");
        assertThat(c.noBackToSource()).isFalse();
        assertThat(c.rules()).isEmpty();
        assertThat(c.allowedHosts()).isEmpty();
    }

    @Test
    void theHomeDefaultsToTheUsersAndTheConfigFileMaySetHomeAndVerbose() throws Exception {
        DfdaemonConfig defaults = parse();
        assertThat(defaults.home()).isEqualTo(Path.of(System.getProperty("user.home"), ".small-dragonfly"));
        assertThat(defaults.verbose()).isFalse();
        Path yaml = dir.resolve("dfdaemon.yml");
        Files.writeString(yaml, "home: " + dir.resolve("yaml") + "\nverbose: true\n");
        DfdaemonConfig fromFile = parse("--config", yaml.toString());
        assertThat(fromFile.home()).isEqualTo(dir.resolve("yaml"));
        assertThat(fromFile.verbose()).isTrue();
        assertThat(parse("--config", yaml.toString(), "--home", dir.toString()).home()).isEqualTo(dir);
    }

    @Test
    void defaultsToDockerHubWithoutRegistry() {
        assertThat(parse().registry()).isEqualTo(DfdaemonConfig.DEFAULT_REGISTRY);
    }

    @Test
    void allFlags() {
        DfdaemonConfig c = parse("--port", "0", "--registry", "http://127.0.0.1:5000/", "--node", "sn1,sn2:8002",
                "--home", dir.toString(), "--ratelimit", "20M", "--rule", "blobs/sha256.*,files\\.example\\.com",
                "--urlfilter", "X-Sig", "--notbs", "--verbose", "--registry-ca", "/etc/ca.pem", "--insecure",
                "--allow-host", "files.example.com,*.example.org:8080");
        assertThat(c.port()).isZero();
        assertThat(c.registry()).isEqualTo(URI.create("http://127.0.0.1:5000"));
        assertThat(c.nodes()).containsExactly("sn1", "sn2:8002");
        assertThat(c.home()).isEqualTo(dir);
        assertThat(c.rateLimit()).isEqualTo(20L << 20);
        assertThat(c.rules()).containsExactly(ProxyRule.p2p("blobs/sha256.*"), ProxyRule.p2p("files\\.example\\.com"));
        assertThat(c.urlFilter().keys()).containsExactly("X-Sig");
        assertThat(c.noBackToSource()).isTrue();
        assertThat(c.verbose()).isTrue();
        assertThat(c.registryCas()).containsExactly(Path.of("/etc/ca.pem"));
        assertThat(c.insecure()).isTrue();
        assertThat(c.allowedHosts()).containsExactly(HostPattern.parse("files.example.com"),
                HostPattern.parse("*.example.org:8080"));
    }

    @Test
    void theOriginalYamlShapeWithFlagsWinning() throws Exception {
        Path yaml = dir.resolve("dfdaemon.yml");
        Files.writeString(yaml, """
                port: 65002
                ratelimit: 10M
                registry_mirror:
                  remote: https://registry.example.com
                  insecure: true
                  certs:
                    - /etc/dfdaemon/ca.pem
                proxies:
                  - regx: blobs/sha256.*
                  - regx: files.example.com/
                    use_https: true
                  - regx: no-p2p.example.com
                    direct: true
                allowed_hosts: [files.example.com]
                """);
        DfdaemonConfig c = parse("--config", yaml.toString(), "--ratelimit", "1M", "--rule", "first");
        assertThat(c.registry()).isEqualTo(URI.create("https://registry.example.com"));
        assertThat(c.insecure()).isTrue();
        assertThat(c.registryCas()).containsExactly(Path.of("/etc/dfdaemon/ca.pem"));
        assertThat(c.port()).isEqualTo(65002);
        assertThat(c.rateLimit()).isEqualTo(1L << 20);
        assertThat(c.rules()).containsExactly(ProxyRule.p2p("first"), ProxyRule.p2p("blobs/sha256.*"),
                new ProxyRule(Pattern.compile("files.example.com/"), true, false),
                new ProxyRule(Pattern.compile("no-p2p.example.com"), false, true));
        assertThat(c.allowedHosts()).containsExactly(HostPattern.parse("files.example.com"));

        assertThat(parse("--config", yaml.toString(), "--registry", "http://other:5000").registry())
                .isEqualTo(URI.create("http://other:5000"));
    }

    @Test
    void badInputIsExitCode2WithWhatWasExpected() throws Exception {
        Path yaml = dir.resolve("hijack.yml");
        Files.writeString(yaml, "hijack_https:\n  cert: a\n  key: b\n");
        assertThat(run("--registry", "ftp://x")).startsWith("2:").contains("expected an http:// or https:// URL");
        assertThat(run("--registry", "http://x/path")).startsWith("2:").contains("has a path");
        assertThat(run("--config", yaml.toString())).startsWith("2:").contains("hijack_https is not supported");
        assertThat(run("--rule", "(")).startsWith("2:").contains("not a regular expression");
        assertThat(run("--ratelimit", "fast")).startsWith("2:").contains("expected a non-negative number");
        assertThatThrownBy(() -> parse("--allow-host", "a/b")).hasMessageContaining("expected host, host:port");
    }

    private String run(String... args) {
        CommandLine cl = DfdaemonMain.commandLine(args);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return code + ":" + err;
    }

    @Test
    void expireTimeTakesSecondsOrAUnit() {
        for (String[] c : new String[][] {{"90", "PT1M30S"}, {"90s", "PT1M30S"}, {"3m", "PT3M"}, {"1h", "PT1H"},
                {"500ms", "PT0.5S"}}) {
            CommandLine cl = DfdaemonMain.commandLine(new String[] {"--expiretime", c[0]});
            cl.parseArgs("--expiretime", c[0]);
            assertThat(((DfdaemonCommand) cl.getCommand()).expireTime).hasToString(c[1]);
        }
        CommandLine defaults = DfdaemonMain.commandLine(new String[0]);
        defaults.parseArgs();
        assertThat(((DfdaemonCommand) defaults.getCommand()).expireTime).hasToString("PT3M");
        assertThatThrownBy(() -> DfdaemonMain.commandLine(new String[] {"--expiretime", "soon"}).parseArgs("--expiretime", "soon"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("soon");
    }
}
