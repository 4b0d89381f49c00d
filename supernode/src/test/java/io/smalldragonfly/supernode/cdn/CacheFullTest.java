package io.smalldragonfly.supernode.cdn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.SupernodeConfig;
import io.smalldragonfly.supernode.scheduler.CdnState;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import io.smalldragonfly.supernode.scheduler.SchedulerListener;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CDN on a small cache disk of its own (a 20 MiB tmpfs this test mounts; root needed): a full
 * disk is the CDN's problem, met by evicting idle tasks, else answered "cache full" (604), never
 * as the source being unreachable (607) and never remembered as the task's failure. Default flags
 * (no quota, no free-space watermark).
 */
class CacheFullTest {

    static final int MB = 1_000_000;

    @TempDir
    Path home;

    Path cache;
    boolean mounted;
    TestOrigin origin;
    CdnManager cdn;
    Scheduler scheduler;
    /** The scheduler's and the CDN's clock (nanos), advanced by the tests only. */
    final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @BeforeEach
    void mountSmallDisk() throws Exception {
        cache = home.resolve("cache");
        Files.createDirectories(cache);
        mounted = run("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", cache.toString());
        Prerequisites.require(mounted, "a 20 MiB tmpfs at " + cache + " (mount -t tmpfs needs root)");
        origin = TestOrigin.start();
        SupernodeConfig cfg = SupernodeConfig.forTest(home).toBuilder().failureCacheTtl(Duration.ofMinutes(1)).build();
        scheduler = new Scheduler(cfg, 8001, clock::get, SchedulerListener.NONE);
        cdn = new CdnManager(cfg, scheduler, clock::get, CdnListener.NONE);
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            if (cdn != null) {
                cdn.close();
            }
            if (origin != null) {
                origin.close();
            }
        } finally {
            if (mounted && !run("umount", cache.toString())) {
                run("umount", "-l", cache.toString());
            }
        }
    }

    private static boolean run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    static CdnManager.TaskSpec spec(String url) {
        return new CdnManager.TaskSpec(TaskId.compute(url, null, null), URI.create(url), List.of(), null);
    }

    void awaitState(CdnManager.TaskSpec spec, CdnState state) {
        await().atMost(Duration.ofSeconds(20)).until(() -> scheduler.cdnState(spec.taskId().value())
                .orElse(null) == state);
    }

    void cache(CdnManager.TaskSpec spec, TestOrigin.Resource r) {
        cdn.prepare(spec).join();
        awaitState(spec, CdnState.SUCCESS);
        assertThat(scheduler.view(spec.taskId().value()).orElseThrow().md5()).isEqualTo(r.md5());
    }

    /** Issue 12, defect 4, as reported: after one oversized task, new tasks were refused with 607. */
    @Test
    void afterATaskTooBigForTheDiskANewTaskIsStillCached() {
        origin.generated("/huge", 30 * MB);
        TestOrigin.Resource small = origin.generated("/small", 5 * MB);
        CdnManager.TaskSpec huge = spec(origin.url("/huge"));
        try {
            cdn.prepare(huge).join();
        } catch (CompletionException refused) {
            // refused at once or failed while fetching: either way the next task must not suffer
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> scheduler.cdnState(huge.taskId().value())
                .map(st -> st != CdnState.RUNNING).orElse(true));

        CdnManager.TaskSpec next = spec(origin.url("/small"));
        assertThatCode(() -> cdn.prepare(next).join()).doesNotThrowAnyException();
        awaitState(next, CdnState.SUCCESS);
        assertThat(scheduler.view(next.taskId().value()).orElseThrow().md5()).isEqualTo(small.md5());
    }

    @Test
    void aTaskBiggerThanTheDiskIsCacheFullNotUnreachableAndTheNextTaskIsCached() {
        origin.generated("/huge", 30 * MB);
        TestOrigin.Resource small = origin.generated("/small", 5 * MB);
        CdnManager.TaskSpec huge = spec(origin.url("/huge"));

        for (int attempt = 1; attempt <= 2; attempt++) {
            assertThatThrownBy(() -> cdn.prepare(huge).join()).isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(SourceException.class).hasMessageContaining("cache full")
                    .satisfies(e -> assertThat(((SourceException) e).code()).isEqualTo(ResultCode.CDN_FAIL));
            // Not remembered as the task's failure (the failure TTL is a minute): the source is asked again.
            assertThat(origin.count("HEAD", "/huge")).isEqualTo(attempt);
        }
        assertThat(origin.count("GET", "/huge")).as("nothing fetched that cannot fit").isZero();

        cache(spec(origin.url("/small")), small);
    }

    @Test
    void anUnknownLengthTaskThatFillsTheDiskFailsAsCacheFullAndLeavesTheDiskUsable() throws Exception {
        origin.generated("/stream", 30 * MB).chunked();
        TestOrigin.Resource small = origin.generated("/small", 5 * MB);
        CdnManager.TaskSpec stream = spec(origin.url("/stream"));

        assertThat(cdn.prepare(stream).join().fileLength()).isEqualTo(-1);
        awaitState(stream, CdnState.FAILED);
        assertThat(Files.exists(cdn.store().dataFile(stream.taskId()))).as("no partial file filling the disk").isFalse();

        cache(spec(origin.url("/small")), small);
        // Not remembered either: registering it again fetches it again (and fails again, as it cannot fit).
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try {
                cdn.prepare(stream).join();
            } catch (CompletionException e) {
                return false;
            }
            return origin.count("GET", "/stream") == 2;
        });
        awaitState(stream, CdnState.FAILED);
    }

    @Test
    void aDiskFullOfIdleTasksMakesRoomByEvictingTheLeastRecentlyUsed() {
        List<TestOrigin.Resource> r = List.of(origin.generated("/a", 6 * MB), origin.generated("/b", 6 * MB),
                origin.generated("/c", 6 * MB), origin.generated("/d", 6 * MB));
        List<CdnManager.TaskSpec> s = List.of(spec(origin.url("/a")), spec(origin.url("/b")),
                spec(origin.url("/c")), spec(origin.url("/d")));
        for (int i = 0; i < 3; i++) {
            cache(s.get(i), r.get(i));
            clock.addAndGet(Duration.ofSeconds(1).toNanos()); // distinct access times
        }

        cache(s.get(3), r.get(3));

        assertThat(Files.exists(cdn.store().dataFile(s.get(0).taskId()))).as("least recently used: evicted").isFalse();
        assertThat(scheduler.hasTask(s.get(0).taskId().value())).isFalse();
        for (int i = 1; i < 4; i++) {
            assertThat(Files.exists(cdn.store().dataFile(s.get(i).taskId()))).isTrue();
        }
    }
}
