package io.smalldragonfly.supernode;

import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.common.config.LayeredDefaults;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SupernodeCommandTest {

    @TempDir
    Path dir;

    static SupernodeConfig parse(String... args) {
        CommandLine cl = SupernodeCommand.commandLine(args);
        cl.setErr(new PrintWriter(new StringWriter()));
        cl.parseArgs(args);
        return ((SupernodeCommand) cl.getCommand()).toConfig();
    }

    @Test
    void defaultsAreTheOriginalPortsAndLimits() {
        SupernodeConfig c = parse("--home", dir.toString());
        assertThat(c.apiPort()).isEqualTo(8002);
        assertThat(c.downloadPort()).isEqualTo(8001);
        assertThat(c.advertiseIp()).isEqualTo("127.0.0.1");
        assertThat(c.maxInFlight()).isEqualTo(4);
        assertThat(c.uploadsPerPeer()).isEqualTo(5);
        assertThat(c.home()).isEqualTo(dir);
    }

    @Test
    void theSeedsSystemPropertySpellingSetsTheAdvertisedAddress() {
        assertThat(parse("-Dsupernode.advertiseIp=10.1.2.3").advertiseIp()).isEqualTo("10.1.2.3");
        assertThat(parse("--advertise-ip", "10.9.9.9", "-Dsupernode.advertiseIp=10.1.2.3").advertiseIp())
                .isEqualTo("10.9.9.9");
    }

    @Test
    void limitsParseSizesAndDurations() {
        SupernodeConfig c = parse("--cdn-upload-rate", "200M", "--cache-quota", "10G", "--source-timeout", "500ms",
                "--task-expiry", "2h", "--pieces-per-answer", "6", "--uploads-per-peer", "8",
                "--source-deny", "10.0.0.0/8,.internal");
        assertThat(c.cdnUploadRate()).isEqualTo(200L << 20);
        assertThat(c.cacheQuota()).isEqualTo(10L << 30);
        assertThat(c.sourceTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.taskExpiry()).isEqualTo(Duration.ofHours(2));
        assertThat(c.piecesPerAnswer()).isEqualTo(6);
        assertThat(c.uploadsPerPeer()).isEqualTo(8);
        assertThat(c.sourceDeny()).containsExactly("10.0.0.0/8", ".internal");
    }

    @Test
    void flagsBeatTheYamlFileWhichBeatsDefaults() throws Exception {
        Path yaml = dir.resolve("supernode.yml");
        Files.writeString(yaml, "port: 9002\ndownload-port: 9001\nadvertiseIp: 10.0.0.7\n");
        SupernodeConfig c = parse("--config", yaml.toString(), "--port", "7002");
        assertThat(c.apiPort()).isEqualTo(7002);
        assertThat(c.downloadPort()).isEqualTo(9001);
        assertThat(c.advertiseIp()).isEqualTo("10.0.0.7");
    }

    @Test
    void badValuesSayWhatWasExpected() {
        StringWriter err = new StringWriter();
        CommandLine cl = SupernodeCommand.commandLine(new String[0]);
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute("--source-timeout", "soon", "--home", dir.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("expected a duration");
    }

    /** {@code --home} and {@code --verbose} come from the shared mixin (common/cli) and layer like every option. */
    @Test
    void theCommonOptionsAreFlagsOverYamlOverEnvOverTheDefault() throws Exception {
        Path yaml = dir.resolve("supernode.yml");
        Files.writeString(yaml, "home: " + dir.resolve("yaml") + "\nverbose: true\n");
        Map<String, String> env = Map.of("SUPERNODE_HOME", dir.resolve("env").toString());
        assertThat(common(Map.of(), Map.of()).home())
                .isEqualTo(Path.of(System.getProperty("user.home"), ".small-dragonfly", "supernode"));
        assertThat(common(Map.of(), Map.of()).verbose()).isFalse();
        assertThat(common(Map.of(), env).home()).isEqualTo(dir.resolve("env"));
        assertThat(common(LayeredDefaults.readYaml(yaml), env).home()).isEqualTo(dir.resolve("yaml"));
        assertThat(common(LayeredDefaults.readYaml(yaml), env).verbose()).isTrue();
        assertThat(common(LayeredDefaults.readYaml(yaml), env, "--home", dir.resolve("flag").toString()).home())
                .isEqualTo(dir.resolve("flag"));
    }

    private static io.smalldragonfly.common.cli.CommonOptions common(Map<String, String> yaml, Map<String, String> env,
                                                                     String... args) {
        SupernodeCommand cmd = new SupernodeCommand();
        CommandLine cl = new CommandLine(cmd);
        cl.setDefaultValueProvider(new LayeredDefaults(yaml, env, "SUPERNODE"));
        cl.parseArgs(args);
        return cmd.common;
    }
}
