package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.testing.LyingOrigin;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.DownloadException;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.Failure;
import io.smalldragonfly.dfget.engine.Pattern;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Source faults against a real in-process supernode (its CDN fetches the source) and dfget's engine
 * (back to source when the CDN fails): what a user sees for each, and that no partial or wrong
 * file ever lands at the output. (A source stalled for good: {@link SourceStallTest}; a full disk:
 * {@link DiskFullTest}; peers that die or lie: {@link FailuresTest}.)
 */
class SourceFaultsTest {

    private static final int SIZE = 6 * 1024 * 1024;

    @TempDir
    Path tmp;

    private Supernode supernode;
    private TestOrigin origin;
    private Peer peer;

    @BeforeEach
    void start() throws Exception {
        supernode = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")).toBuilder()
                .sourceTimeout(Duration.ofSeconds(2)).build());
        origin = TestOrigin.start();
        peer = Peer.start(tmp.resolve("peer"));
    }

    @AfterEach
    void stop() {
        peer.close();
        supernode.close();
        origin.close();
    }

    private DownloadRequest.Builder request(String url, Pattern pattern) {
        DownloadRequest.Builder b = DownloadRequest.builder(url, tmp.resolve("out.bin")).pattern(pattern)
                .sourceTimeout(Duration.ofSeconds(2));
        return pattern == Pattern.SOURCE ? b : b.node(SupernodeAddress.of("127.0.0.1", supernode.apiPort()));
    }

    private void assertFails(DownloadRequest req, String... messageParts) {
        assertThatThrownBy(() -> peer.engine.download(req)).isInstanceOfSatisfying(DownloadException.class, e -> {
            assertThat(e.failure()).isEqualTo(Failure.SOURCE_ERROR);
            if (messageParts.length > 0) {
                assertThat(e.getMessage()).contains(messageParts);
            }
        });
        assertThat(tmp.resolve("out.bin")).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(value = Pattern.class, names = {"P2P", "SOURCE"})
    void aConnectionResetAfterSomeBytesIsRetriedAndTheFileIsRight(Pattern pattern) throws Exception {
        TestOrigin.Resource r = origin.generated("/reset", SIZE).failAfter(1_500_000);
        DownloadResult res = peer.engine.download(request(origin.url("/reset"), pattern).build());
        assertThat(res.md5()).isEqualTo(r.md5());
        assertThat(Digests.md5Hex(tmp.resolve("out.bin"))).isEqualTo(r.md5());
    }

    @ParameterizedTest
    @EnumSource(value = Pattern.class, names = {"P2P", "SOURCE"})
    void aServerErrorIsASourceErrorThatNamesTheStatus(Pattern pattern) {
        origin.status("/e", 503);
        assertFails(request(origin.url("/e"), pattern).build(), "503");
    }

    @ParameterizedTest
    @EnumSource(value = Pattern.class, names = {"P2P", "SOURCE"})
    void aRedirectLoopIsASourceError(Pattern pattern) {
        origin.redirect("/a", "/b").redirect("/b", "/a");
        assertFails(request(origin.url("/a"), pattern).build());
    }

    /** Content-Length promises more than the body holds: never a short file at the output. */
    @ParameterizedTest
    @EnumSource(value = Pattern.class, names = {"P2P", "SOURCE"})
    void aBodyShorterThanItsContentLengthIsASourceError(Pattern pattern) throws Exception {
        byte[] content = TestOrigin.content(SIZE, 3);
        try (LyingOrigin liar = LyingOrigin.start(content, (range, c, out) -> {
            long[] r = LyingOrigin.range(range, c.length);
            long len = r[1] - r[0] + 1;
            LyingOrigin.head(out, range == null ? "200 OK" : "206 Partial Content", "Content-Length: " + len,
                    "Accept-Ranges: bytes", "Content-Range: bytes " + r[0] + "-" + r[1] + "/" + c.length);
            out.write(c, (int) r[0], (int) Math.max(0, len / 2)); // half, then close
        })) {
            assertFails(request(liar.url("/short"), pattern).build());
        }
    }

    /**
     * Content-Range names other bytes than were asked for (with the right length): taking them
     * would put the wrong bytes at the right offset, with nothing to notice without an md5.
     */
    @ParameterizedTest
    @EnumSource(value = Pattern.class, names = {"SOURCE"})
    void aContentRangeForOtherBytesIsRefused(Pattern pattern) throws Exception {
        byte[] content = TestOrigin.content(SIZE, 4);
        try (LyingOrigin liar = LyingOrigin.start(content, (range, c, out) -> {
            long[] r = LyingOrigin.range(range, c.length);
            long len = r[1] - r[0] + 1;
            long lieStart = 0; // every range answered with the file's first bytes
            LyingOrigin.head(out, "206 Partial Content", "Content-Length: " + len, "Accept-Ranges: bytes",
                    "Content-Range: bytes " + lieStart + "-" + (lieStart + len - 1) + "/" + c.length);
            out.write(c, (int) lieStart, (int) len);
        })) {
            assertFails(request(liar.url("/shifted"), pattern).build(), "Content-Range");
        }
    }

    /**
     * The source changes between the probe and the fetch (a new version with another ETag): the
     * output is one version whole, or nothing; never a mix of both.
     */
    @Test
    void aSourceThatChangesMidDownloadNeverYieldsAMix() throws Exception {
        byte[] v1 = TestOrigin.content(SIZE, 5);
        byte[] v2 = TestOrigin.content(SIZE, 6);
        origin.serve("/changing", v1).etag("\"v1\"");
        var d = peer.engine.start(request(origin.url("/changing"), Pattern.SOURCE).localLimit(2L << 20).build());
        // the probe and the first ranges have gone with v1
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> d.progress().bytes() > 0);
        origin.serve("/changing", v2).etag("\"v2\"");
        try {
            d.await();
            byte[] got = java.nio.file.Files.readAllBytes(tmp.resolve("out.bin"));
            assertThat(Arrays.equals(got, v1) || Arrays.equals(got, v2)).as("one version whole").isTrue();
        } catch (DownloadException e) {
            assertThat(e.failure()).isEqualTo(Failure.SOURCE_ERROR);
            assertThat(tmp.resolve("out.bin")).doesNotExist();
        }
    }
}
