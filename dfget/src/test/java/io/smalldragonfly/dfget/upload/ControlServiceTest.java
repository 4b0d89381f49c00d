package io.smalldragonfly.dfget.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.Request;
import io.smalldragonfly.dfget.store.DataDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host-wide --totallimit split, without sockets. */
class ControlServiceTest {

    @TempDir
    Path home;

    @Test
    void theTotalLimitIsSharedByTheDownloadsThatAsk() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000);
        ControlService s = new ControlService(new PieceStore(new DataDir(home.resolve("data"))), home.toString(),
                () -> 1, now::get);
        assertThat(share(s, "a", 1000, 0)).isEqualTo(1000);
        assertThat(share(s, "b", 1000, 0)).isEqualTo(500);
        assertThat(share(s, "c", 1000, 200)).as("capped by its own limit").isEqualTo(200);
        assertThat(share(s, "a", 1000, 0)).isEqualTo(333);
        now.addAndGet(ControlService.RATE_ASK_TTL_MILLIS + 1);
        assertThat(share(s, "b", 1000, 0)).as("a and c stopped asking").isEqualTo(1000);
        assertThat(share(s, "b", 0, 300)).as("no total limit: the local one").isEqualTo(300);
        assertThatThrownBy(() -> s.serve(Request.get("/rate/b?totallimit=lots")))
                .isInstanceOf(HttpStatusException.class).hasMessageContaining("expected bytes/s");
    }

    private static long share(ControlService s, String name, long total, long local) throws Exception {
        byte[] body = s.serve(Request.get("/rate/" + name + "?totallimit=" + total + "&locallimit=" + local))
                .toCompletableFuture().get().body();
        return Long.parseLong(new String(body, StandardCharsets.UTF_8));
    }
}
