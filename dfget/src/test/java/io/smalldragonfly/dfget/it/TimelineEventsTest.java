package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import io.smalldragonfly.common.log.Logging;
import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The timeline bench/timeline.sh reads: every step of a download is there when enabled, nothing when not. */
class TimelineEventsTest {

    @TempDir
    Path tmp;

    private Supernode supernode;
    private TestOrigin origin;
    private Peer peer;

    @BeforeEach
    void start() throws Exception {
        supernode = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
        origin = TestOrigin.start();
        peer = Peer.start(tmp.resolve("peer"));
    }

    @AfterEach
    void stop() throws Exception {
        peer.close();
        supernode.close();
        origin.close();
        Timeline.enable(false);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        new ContextInitializer(ctx).autoConfig();
    }

    private DownloadResult download(String path) throws Exception {
        return peer.engine.start(DownloadRequest.builder(origin.url(path), tmp.resolve("out" + path.substring(1)))
                .node(SupernodeAddress.of("127.0.0.1", supernode.apiPort())).notbs(true).build()).await();
    }

    @Test
    void enabledTheEngineAndTheSupernodeLogEveryStepDisabledNothing() throws Exception {
        TestOrigin.Resource file = origin.generated("/a", 10 * 1024 * 1024 + 17);
        origin.generated("/b", 1024 * 1024);
        Path on = tmp.resolve("logs-on");
        Timeline.enable(true);
        Logging.configure(on, "test", false, false);

        DownloadResult r = download("/a");
        assertThat(r.md5()).isEqualTo(file.md5());

        List<String> lines = Files.readAllLines(on.resolve("timeline.log"));
        Set<String> events = lines.stream().map(l -> l.split(" ")[1]).collect(Collectors.toSet());
        // no md5_wait: without --md5 the checked pieces imply the file's md5, nothing is read back
        assertThat(events).doesNotContain("md5_wait");
        assertThat(events).contains("download_start", "register_sent", "register_answer", "registered",
                "poll_sent", "poll_answer", "assigned", "fetch_queued", "fetch_start", "first_byte", "fetch_end",
                "verified", "handled", "reported", "p2p_done", "md5_done", "committed",
                "sn_register_recv", "sn_registered", "sn_poll_recv", "sn_poll_answer", "sn_assign", "sn_success",
                "cdn_fetch_start", "cdn_read", "cdn_written", "cdn_published", "cdn_complete");
        assertThat(lines).allMatch(l -> l.matches("\\d{16} \\w+ .*proc=test pid=\\d+ thread=\\S+"), "line format");
        int pieces = (int) lines.stream().filter(l -> l.contains(" verified ")).count();
        assertThat(pieces).as("one verified event per piece").isEqualTo(
                (int) lines.stream().filter(l -> l.contains(" cdn_published ")).count()).isGreaterThan(1);
        assertThat(lines.stream().filter(l -> l.contains(" verified ")))
                .allMatch(l -> l.contains(" task=" + r.taskId() + " ") && l.contains(" cid=") && l.contains(" src="));

        Timeline.enable(false);
        Path off = tmp.resolve("logs-off");
        Logging.configure(off, "test", false, false);
        download("/b");
        assertThat(off.resolve("timeline.log")).doesNotExist();
        assertThat(Files.readAllLines(on.resolve("timeline.log"))).hasSize(lines.size());
    }
}
