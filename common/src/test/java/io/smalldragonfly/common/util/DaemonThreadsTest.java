package io.smalldragonfly.common.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {

    @Test
    void aNamedFactoryGivesEveryThreadItsNameAndMakesItADaemon() {
        ThreadFactory f = DaemonThreads.named("upload-expiry");
        Thread a = f.newThread(() -> { });
        Thread b = f.newThread(() -> { });
        assertThat(a.getName()).isEqualTo("upload-expiry");
        assertThat(b.getName()).isEqualTo("upload-expiry");
        assertThat(a.isDaemon()).isTrue();
    }

    @Test
    void aNumberedFactoryCountsFromOnePerFactory() {
        ThreadFactory f = DaemonThreads.numbered("dfget");
        assertThat(f.newThread(() -> { }).getName()).isEqualTo("dfget-1");
        Thread second = f.newThread(() -> { });
        assertThat(second.getName()).isEqualTo("dfget-2");
        assertThat(second.isDaemon()).isTrue();
        assertThat(DaemonThreads.numbered("dfget").newThread(() -> { }).getName()).isEqualTo("dfget-1");
    }
}
