package io.smalldragonfly.dfget;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.testing.TestOrigin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The command line in-process: bad input is one line and exit code 2 (checked before any peer
 * process is asked); --json prints one object. Downloads here run with {@code --in-process}, so no
 * peer process outlives the test JVM; the peer-process path is tested end to end in
 * {@code it.PeerProcessE2ETest} and {@code it.LauncherE2ETest}.
 */
class DfgetCommandTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {}

    private Run run(String... args) {
        CommandLine cl = DfgetCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(tmp.resolve("home").toString());
        int code = cl.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-u ftp://x/f -o OUT/f                          | url: 'ftp://x/f'",
        "-u notaurl -o OUT/f                            | url: 'notaurl'",
        "-o OUT/f                                       | url: missing",
        "-u http://x/f                                  | output: missing",
        "-u http://x/f -o OUT/missing/f                 | does not exist",
        "-u http://x/f -o OUT                           | is a directory",
        "-u http://x/f -o OUT/f -m 0123456789abcdef0123456789abcdef -i id | --md5 and --identifier",
        "-u http://x/f -o OUT/f -m nothex               | md5: 'nothex'",
        "-u http://x/f -o OUT/f --bogus                 | Unknown option: '--bogus'",
        "-u http://x/f -o OUT/f -s 12Q                  | size: '12Q'",
        "-u http://x/f -o OUT/f --totallimit lots       | size: 'lots'",
        "-u http://x/f -o OUT/f -e soon                 | duration: 'soon'",
        "-u http://x/f -o OUT/f -p torrent              | pattern: 'torrent'",
        "-u http://x/f -o OUT/f -n host:port            | node: 'host:port'",
        "-u http://x/f -o OUT/f --header NoColon        | header: 'NoColon'",
    })
    void badInputIsOneClearLineAndTheUsageCode(String args, String message) {
        Run r = run(args.trim().replace("OUT", tmp.toString()).split("\\s+"));
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).startsWith("dfget: ").contains(message);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void jsonReportsWhereTheBytesCameFrom() throws Exception {
        try (TestOrigin origin = TestOrigin.start()) {
            TestOrigin.Resource f = origin.generated("/data.bin", 3_000_000);
            Path out = tmp.resolve("data.bin");
            Run r = run("-u", origin.url("/data.bin"), "-o", out.toString(), "-p", "source", "--json",
                    "--in-process");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode j = Json.mapper().readTree(r.out());
            assertThat(j.get("result").asText()).isEqualTo("success");
            assertThat(j.get("length").asLong()).isEqualTo(3_000_000);
            assertThat(j.get("fromSource").asLong()).isEqualTo(3_000_000);
            assertThat(j.get("fromPeers").asLong()).isZero();
            assertThat(j.get("fromSupernode").asLong()).isZero();
            assertThat(j.get("md5").asText()).isEqualTo(f.md5());
            assertThat(j.has("taskId") && j.has("seconds") && j.has("url") && j.has("output")).isTrue();
            assertThat(Files.size(out)).isEqualTo(3_000_000);
            assertThat(r.err()).contains("source 100%");
        }
    }

    @Test
    void aSourceErrorHasItsOwnCodeAndLeavesNoFile() {
        try (TestOrigin origin = TestOrigin.start()) {
            origin.status("/gone", 404);
            Path out = tmp.resolve("gone.bin");
            Run r = run("-u", origin.url("/gone"), "-o", out.toString(), "-p", "source", "--in-process");
            assertThat(r.code()).isEqualTo(ExitCodes.SOURCE_ERROR);
            assertThat(r.err()).contains("404");
            assertThat(out).doesNotExist();
        }
    }
}
