package io.smalldragonfly.dfget.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.common.util.Digests;
import io.smalldragonfly.dfget.engine.Download;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.DownloadResult;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three supernodes in this JVM on port 0, one origin, several engine peers with their own homes
 * and upload servers: task affinity, failover when the task's supernode dies, and a restart of
 * the task's supernode on its home (docs/cluster.md).
 */
class ClusterTest {

    private static final int PIECE_CONTENT = 4 * 1024 * 1024 - 5;

    @TempDir
    Path tmp;

    private final Supernode[] supernodes = new Supernode[3];
    private TestOrigin origin;
    private final List<Peer> peers = new ArrayList<>();

    @BeforeEach
    void start() {
        for (int i = 0; i < supernodes.length; i++) {
            supernodes[i] = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn" + i)));
        }
        origin = TestOrigin.start();
    }

    @AfterEach
    void stop() {
        peers.forEach(Peer::close);
        for (Supernode s : supernodes) {
            s.close();
        }
        origin.close();
    }

    private List<SupernodeAddress> nodes() {
        List<SupernodeAddress> out = new ArrayList<>();
        for (Supernode s : supernodes) {
            out.add(SupernodeAddress.of("127.0.0.1", s.apiPort()));
        }
        return out;
    }

    private int indexOf(SupernodeAddress a) {
        for (int i = 0; i < supernodes.length; i++) {
            if (supernodes[i].apiPort() == a.port()) {
                return i;
            }
        }
        throw new AssertionError("not one of ours: " + a);
    }

    private List<SupernodeAddress> orderOf(String url) {
        return SupernodeAddress.orderFor(TaskId.compute(url, null, null).value(), nodes());
    }

    private void startPeers(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            peers.add(Peer.start(tmp.resolve("peer" + i)));
        }
    }

    private Download download(int peer, String url, String out, long rate) {
        return peers.get(peer).engine.start(DownloadRequest.builder(url, tmp.resolve(out))
                .nodes(nodes()).notbs(true).localLimit(rate).build());
    }

    @Test
    void everyPeerOfATaskMeetsAtOneSupernodeAndTasksSpreadOverAll() throws Exception {
        startPeers(3);
        int tasks = 100;
        List<Download> all = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            origin.generated("/f" + t, 2000 + t);
        }
        for (int t = 0; t < tasks; t++) {
            int peersOfTask = t < 10 ? 3 : 1;
            for (int p = 0; p < peersOfTask; p++) {
                all.add(download(p, origin.url("/f" + t), "out-" + t + "-" + p, 0));
            }
            if (all.size() >= 12) { // a few at a time: the machine is small
                for (Download d : all) {
                    d.await();
                }
                all.clear();
            }
        }
        for (Download d : all) {
            d.await();
        }
        int[] perSupernode = new int[3];
        for (int t = 0; t < tasks; t++) {
            String url = origin.url("/f" + t);
            SupernodeAddress expected = orderOf(url).get(0);
            String id = TaskId.compute(url, null, null).value();
            for (int i = 0; i < 3; i++) {
                JsonNode task = taskOn(supernodes[i], id);
                if (i == indexOf(expected)) {
                    assertThat(task).as("task %d on its supernode", t).isNotNull();
                    assertThat(task.get("peers").size()).as("peers of task %d", t).isEqualTo(t < 10 ? 3 : 1);
                } else {
                    assertThat(task).as("task %d on supernode %d", t, i).isNull();
                }
            }
            perSupernode[indexOf(expected)]++;
        }
        System.out.printf("100 tasks over 3 supernodes: %d %d %d%n", perSupernode[0], perSupernode[1],
                perSupernode[2]);
        // Rendezvous hashing spreads like a fair die: for 100 tasks and ports that change every run
        // "within 20 % of even" (27..40) holds only 70 % of the time for any hash, and [17, 50],
        // which a fair die leaves with probability 0.08 %, failed here once (52). [10, 60] still
        // shows every supernode taking its share and fails a fair die once in ~10^6 runs; the
        // evenness itself is NodeOrderTest's (3 % of even over 30,000 tasks).
        for (int c : perSupernode) {
            assertThat(c).isBetween(10, 60);
        }
        assertThat(origin.bytesSent()).as("each file fetched once, by its one supernode")
                .isEqualTo(sumOfSizes(tasks));
    }

    private static long sumOfSizes(int tasks) {
        long s = 0;
        for (int t = 0; t < tasks; t++) {
            s += 2000 + t;
        }
        return s;
    }

    @Test
    void whenTheTasksSupernodeDiesEveryPeerFinishesAtTheNextOneWithoutRefetching() throws Exception {
        int size = 5 * PIECE_CONTENT; // five pieces
        TestOrigin.Resource file = origin.generated("/big", size);
        String url = origin.url("/big");
        List<SupernodeAddress> order = orderOf(url);
        startPeers(3);
        List<Download> downloads = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            downloads.add(download(p, url, "out" + p, 3L * 1024 * 1024)); // slow enough to kill mid-download
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> downloads.stream()
                .allMatch(d -> d.progress().bytes() >= PIECE_CONTENT));
        Map<Integer, Long> heldAtKill = new HashMap<>();
        for (int p = 0; p < 3; p++) {
            heldAtKill.put(p, downloads.get(p).progress().bytes());
        }
        supernodes[indexOf(order.get(0))].close();

        for (int p = 0; p < 3; p++) {
            DownloadResult r = downloads.get(p).await();
            assertThat(Digests.md5Hex(r.output())).isEqualTo(file.md5());
            assertThat(r.supernode()).as("peer %d converged on the task's next supernode", p)
                    .isEqualTo(order.get(1).hostPort());
            assertThat(r.fromPeers() + r.fromSupernode() + r.fromLocal())
                    .as("peer %d fetched every piece once (held %d bytes at the kill)", p, heldAtKill.get(p))
                    .isEqualTo(size);
            assertThat(r.fromSource()).isZero();
            System.out.println("peer " + p + ": " + r.summary());
        }
        JsonNode task = taskOn(supernodes[indexOf(order.get(1))], TaskId.compute(url, null, null).value());
        assertThat(task.get("peers").size()).isEqualTo(3);
        System.out.println("origin sent " + origin.bytesSent() + " bytes for a " + size + "-byte file");
        assertThat(origin.bytesSent()).as("at most once per supernode that cached it").isLessThanOrEqualTo(2L * size);
    }

    @Test
    void aSupernodeRestartedOnItsHomeResumesItsTasksWithoutReadingTheSourceAgain() throws Exception {
        int size = 5 * PIECE_CONTENT;
        TestOrigin.Resource file = origin.generated("/big", size).etag("\"v1\"");
        String url = origin.url("/big");
        int home = indexOf(orderOf(url).get(0));
        startPeers(3);
        List<Download> downloads = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            downloads.add(download(p, url, "out" + p, 3L * 1024 * 1024));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> downloads.stream()
                .allMatch(d -> d.progress().bytes() >= PIECE_CONTENT));
        assertThat(downloads.stream().noneMatch(d -> d.result().isDone())).as("still downloading").isTrue();
        Supernode old = supernodes[home];
        // The CDN has the whole file (a fetch cut by the restart resumes with a range instead).
        await().atMost(Duration.ofSeconds(30)).until(() -> old.cdn().state(TaskId.compute(url, null, null).value())
                .orElseThrow() == io.smalldragonfly.supernode.cdn.CdnManager.State.SUCCESS);
        old.close();
        supernodes[home] = Supernode.start(old.config().toBuilder().apiPort(old.apiPort())
                .downloadPort(old.downloadPort()).build());

        for (int p = 0; p < 3; p++) {
            DownloadResult r = downloads.get(p).await();
            assertThat(Digests.md5Hex(r.output())).isEqualTo(file.md5());
            assertThat(r.supernode()).isEqualTo("127.0.0.1:" + old.apiPort());
            assertThat(r.fromPeers() + r.fromSupernode() + r.fromLocal()).isEqualTo(size);
            System.out.println("peer " + p + ": " + r.summary());
        }
        assertThat(origin.bytesSent()).as("the source sent the file once, before the restart").isEqualTo(size);
        JsonNode task = taskOn(supernodes[home], TaskId.compute(url, null, null).value());
        assertThat(task.get("peers").size()).as("every peer registered again").isEqualTo(3);
    }

    /** {@code GET /tasks/<id>} on {@code s}: the task's JSON, or null when it does not know it. */
    private static JsonNode taskOn(Supernode s, String taskId) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + s.apiPort() + "/tasks/" + taskId)
                .openConnection();
        int status = c.getResponseCode();
        if (status == 404) {
            c.getErrorStream().close();
            return null;
        }
        assertThat(status).isEqualTo(200);
        try (InputStream in = c.getInputStream()) {
            return Json.mapper().readTree(in);
        }
    }
}
