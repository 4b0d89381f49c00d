package io.smalldragonfly.supernode.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code /peer/task} over HTTP: an in-process supernode on 127.0.0.1 and {@code threads} client
 * threads (keep-alive JDK HttpClient) driving {@code peers} simulated peers of one task, as the
 * original client polls. Client and server share the machine's cores, so this is a pessimistic
 * figure for the supernode. Run with {@code bench/supernode-scheduler.sh http}.
 *
 * <pre>args: [seconds, default 10] [peers, default 1000] [client threads, default 16]</pre>
 */
public final class HttpPollBench {

    private HttpPollBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int peers = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        Path home = Files.createTempDirectory("sn-bench");
        try (TestOrigin origin = TestOrigin.start();
             Supernode sn = Supernode.start(SupernodeConfig.forTest(home).toBuilder()
                     .waitTimeout(java.time.Duration.ZERO).build())) {
            origin.generated("/f", 40 * 1024 * 1024); // 11 pieces
            String api = "http://127.0.0.1:" + sn.apiPort();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            AtomicInteger ids = new AtomicInteger();
            String url = origin.url("/f");
            List<String[]> state = new ArrayList<>(); // {cid, taskId}
            for (int i = 0; i < peers; i++) {
                state.add(register(client, api, url, "peer-" + ids.incrementAndGet()));
            }
            while (!get(client, api + "/tasks/" + state.get(0)[1]).get("cdnStatus").asText().equals("SUCCESS")) {
                Thread.onSpinWait();
            }
            run(client, api, url, state, ids, threads, 2, null);
            long[][] samples = new long[threads][];
            long cpu0 = serverCpuNanos();
            long n = run(client, api, url, state, ids, threads, seconds, samples);
            long[] all = Arrays.stream(samples).flatMapToLong(Arrays::stream).toArray();
            Arrays.sort(all);
            long cpu = serverCpuNanos() - cpu0;
            System.out.printf(Locale.ROOT, "http: 1 task x %d peers, %d client threads: %,.0f polls/s   p50 %.2f ms   p99 %.2f ms"
                            + "   supernode API threads' CPU %.0f us/poll (%.0f%% of one core)%n",
                    peers, threads, n / (double) seconds, all[all.length / 2] / 1e6,
                    all[(int) (all.length * 0.99)] / 1e6, cpu / 1e3 / n, cpu / 1e7 / seconds);
        }
    }

    /** CPU time of the supernode's API event loops (the threads named supernode-api*). */
    static long serverCpuNanos() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo ti : mx.dumpAllThreads(false, false)) {
            if (ti.getThreadName().startsWith("supernode-api")) {
                sum += Math.max(0, mx.getThreadCpuTime(ti.getThreadId()));
            }
        }
        return sum;
    }

    static String[] register(HttpClient c, String api, String url, String cid) throws Exception {
        String body = "{\"cid\":\"" + cid + "\",\"ip\":\"127.0.0.1\",\"port\":15000,\"path\":\"/peer/file/" + cid
                + "\",\"rawUrl\":\"" + url + "\",\"taskUrl\":\"" + url + "\",\"version\":\"0.3.1\"}";
        HttpResponse<byte[]> r = c.send(HttpRequest.newBuilder(URI.create(api + "/peer/registry"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new String[] {cid, Json.read(r.body(), JsonNode.class).get("data").get("taskId").asText()};
    }

    static JsonNode get(HttpClient c, String url) throws Exception {
        return Json.read(c.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body(), JsonNode.class);
    }

    static long run(HttpClient c, String api, String url, List<String[]> peers, AtomicInteger ids, int threads,
                    int seconds, long[][] samples) throws InterruptedException {
        AtomicInteger total = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int t = 0; t < threads; t++) {
            int slice = t;
            new Thread(() -> {
                long[] lat = new long[1 << 20];
                int n = 0;
                List<String[]> mine = new ArrayList<>();
                List<ArrayDeque<String[]>> running = new ArrayList<>();
                for (int i = slice; i < peers.size(); i += threads) {
                    mine.add(peers.get(i));
                    running.add(new ArrayDeque<>());
                }
                try {
                    for (int k = 0; System.nanoTime() < end; k++) {
                        int i = k % mine.size();
                        String[] p = mine.get(i);
                        String[] last = running.get(i).poll(); // {range, cid}
                        String q = last == null ? "dstCid=&range=&result=502&status=700"
                                : "dstCid=" + last[1] + "&range=" + last[0] + "&result=503&status=701";
                        long t0 = System.nanoTime();
                        JsonNode a = get(c, api + "/peer/task?srcCid=" + p[0] + "&" + q + "&taskId=" + p[1]);
                        long dt = System.nanoTime() - t0;
                        if (n < lat.length) {
                            lat[n] = dt;
                        }
                        n++;
                        int code = a.get("code").asInt();
                        if (code == 601 && running.get(i).isEmpty()) {
                            for (JsonNode piece : a.get("data")) {
                                running.get(i).add(new String[] {piece.get("range").asText(), piece.get("cid").asText()});
                            }
                        } else if (code == 600) {
                            get(c, api + "/peer/service/down?taskId=" + p[1] + "&cid=" + p[0]);
                            mine.set(i, register(c, api, url, "peer-" + ids.incrementAndGet()));
                            running.get(i).clear();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    if (samples != null) {
                        samples[slice] = Arrays.copyOf(lat, Math.min(n, lat.length));
                    }
                    total.addAndGet(n);
                    done.countDown();
                }
            }, "http-bench-" + t).start();
        }
        done.await();
        return total.get();
    }
}
