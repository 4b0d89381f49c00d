package io.smalldragonfly.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class LayeredDefaultsTest {

    @Command(name = "t")
    static class Cmd {
        @Option(names = "--port", defaultValue = "8002") int port;
        @Option(names = "--download-port", defaultValue = "8001") int downloadPort;
        @Option(names = "--home", defaultValue = "/default") String home;
        @Option(names = "--node", split = ",") java.util.List<String> nodes;
    }

    @Test
    void flagsBeatTheFileWhichBeatsTheEnvironmentWhichBeatsTheDefault(@TempDir Path dir) throws IOException {
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, "port: 9002\ndownloadPort: 9001\nnode: [a, b]\n");
        Cmd cmd = new Cmd();
        CommandLine cl = new CommandLine(cmd);
        cl.setDefaultValueProvider(new LayeredDefaults(LayeredDefaults.readYaml(yaml),
                Map.of("SN_PORT", "7002", "SN_HOME", "/env", "SN_DOWNLOAD_PORT", "7001"), "SN"));
        cl.parseArgs("--port", "6002");
        assertThat(cmd.port).isEqualTo(6002);
        assertThat(cmd.downloadPort).isEqualTo(9001);
        assertThat(cmd.home).isEqualTo("/env");
        assertThat(cmd.nodes).containsExactly("a", "b");
    }

    @Test
    void loadFindsTheConfigFlagBeforeParsing(@TempDir Path dir) throws IOException {
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, "home: /from-file\n");
        Cmd cmd = new Cmd();
        CommandLine cl = new CommandLine(cmd);
        cl.setDefaultValueProvider(LayeredDefaults.load(new String[] {"--config=" + yaml}, "--config", "NOPE_X"));
        cl.parseArgs();
        assertThat(cmd.home).isEqualTo("/from-file");
        assertThat(cmd.port).isEqualTo(8002);
    }

    @Test
    void badFilesSayWhatWasExpected(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> LayeredDefaults.readYaml(dir.resolve("missing.yaml")))
                .hasMessageContaining("expected a readable YAML file");
        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "- a\n- b\n");
        assertThatThrownBy(() -> LayeredDefaults.readYaml(list)).hasMessageContaining("expected a YAML mapping");
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "port: [unclosed\n");
        assertThatThrownBy(() -> LayeredDefaults.readYaml(broken)).hasMessageContaining("expected");
    }
}
