package io.smalldragonfly.common.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class TimelineTest {

    @TempDir
    Path tmp;

    @AfterEach
    void restoreLogging() throws Exception {
        Timeline.enable(false);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        new ContextInitializer(ctx).autoConfig();
    }

    @Test
    void aLineHasTheTimeTheEventAndOnlyTheFieldsGiven() {
        assertThat(Timeline.format(1_796_000_000_123_456L, "fetch_end", "t1", "c1", 3, "cdn", 42, "k=v"))
                .isEqualTo("1796000000123456 fetch_end task=t1 cid=c1 piece=3 src=cdn bytes=42 k=v");
        assertThat(Timeline.format(7, "registered", "t1", null, -1, null, -1, null)).isEqualTo("7 registered task=t1");
    }

    @Test
    void timesAreWallClockMicrosecondsAndMonotonic() {
        long a = Timeline.nowMicros();
        long b = Timeline.nowMicros();
        assertThat(b).isGreaterThanOrEqualTo(a);
        assertThat(a / 1000).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(1000L));
    }

    @Test
    void enabledEventsGoToTheirOwnFileAndNotToTheBinarysLog() throws Exception {
        Timeline.enable(true);
        Logging.configure(tmp, "dfclient", false, false);
        Timeline.piece("verified", "t1", "c1", 5, "peer2", 100);
        Timeline.event("poll_answer", "t1", "c1", "code", 601);
        LoggerFactory.getLogger("some.Class").info("an ordinary line");

        List<String> lines = Files.readAllLines(tmp.resolve("timeline.log"));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("\\d{16} verified task=t1 cid=c1 piece=5 src=peer2 bytes=100 "
                + "proc=dfclient pid=" + ProcessHandle.current().pid() + " thread=\\S+");
        assertThat(lines.get(1)).contains(" poll_answer ", " code=601 ");
        String main = Files.readString(tmp.resolve("dfclient.log"));
        assertThat(main).contains("an ordinary line").doesNotContain("verified");
    }

    @Test
    void disabledEventsWriteNothingAndCreateNoFile() throws Exception {
        Timeline.enable(false);
        Logging.configure(tmp, "dfclient", true, false);
        Timeline.piece("verified", "t1", "c1", 5, "peer2", 100);
        Timeline.event("registered", "t1", "c1");
        Timeline.event("poll_answer", "t1", "c1", "code", 601);
        // the process's own log is created by its first line; there must be no event in it either
        org.slf4j.LoggerFactory.getLogger(TimelineTest.class).info("an ordinary line");

        assertThat(tmp.resolve("timeline.log")).doesNotExist();
        assertThat(Files.readString(tmp.resolve("dfclient.log"))).doesNotContain("verified", "registered");
    }
}
