package io.smalldragonfly.common.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Malformed HTTP for every server of the project, over real sockets: what any HTTP/1.1 server
 * must survive (bad escapes, NUL and control bytes, huge request lines and headers, HTTP/0.9 and
 * unknown versions, broken chunked bodies and lengths, binary garbage, pipelined requests), plus
 * what a test adds for its own server (wrong JSON, traversal, impossible ranges). Each request is
 * sent on its own connection and must get an HTTP/1.1 answer below 500; {@link #slowloris} holds
 * connections that never finish their headers. The generators are deterministic from a seed.
 */
public final class MalformedHttp {

    private MalformedHttp() {}

    /**
     * A request as bytes. {@code answers}: how many responses must come back (several when
     * pipelined); {@code bodyAfterAnswer}: the body follows only once the head was sent (oversized ones).
     */
    public record Raw(String kind, byte[] head, byte[] body, int answers, boolean bodyAfterAnswer) {
        public static Raw of(String kind, String text) {
            return new Raw(kind, text.getBytes(StandardCharsets.ISO_8859_1), new byte[0], 1, false);
        }

        public String describe() {
            String h = new String(head, StandardCharsets.ISO_8859_1);
            return kind + ": " + h.substring(0, Math.min(160, h.length())).replace("\r\n", " | ");
        }
    }

    /** What a run saw: statuses and their counts, and every request that got a 5xx or no answer. */
    public record Result(Map<Integer, AtomicInteger> statuses, List<String> failures, int sent) {
        public int answered() {
            return statuses.entrySet().stream().filter(e -> e.getKey() > 0).mapToInt(e -> e.getValue().get()).sum();
        }
    }

    /** Generic malformed requests for a server whose valid paths include {@code paths}. */
    public static Supplier<Raw> generic(Random rnd, List<String> paths) {
        return () -> {
            String path = paths.get(rnd.nextInt(paths.size()));
            return switch (rnd.nextInt(12)) {
                case 0 -> get("escape", path + pick(rnd, "%", "%Z", "%ZZ", "%u002e", "%%", "%c0%af", "%ff%fe%fd",
                        "%00", "%0a", "%0d%0aX-Injected:%201", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%e2%82") + pick(rnd, "", "x", "/y"));
                case 1 -> get("escape", "/" + pick(rnd, "ve%rsion", "%ZZ", "%u002e%u002e/x", "_ping%", "a%2")
                        + pick(rnd, "", "?a=%ZZ", "?%=%", "?x=%u0041"));
                case 2 -> Raw.of("control", "GET " + path + pick(rnd, "\u0000", "\u0001x", "\u007f", "\t")
                        + " HTTP/1.1\r\nHost: x\r\nX-Ctl: a\u0000b\r\n\r\n");
                case 3 -> get("long-query", path + "?" + "q=" + "A".repeat(1000 + rnd.nextInt(20_000)));
                case 4 -> Raw.of("huge-headers", "GET " + path + " HTTP/1.1\r\nHost: x\r\n"
                        + ("X-" + rnd.nextInt(1000) + ": " + "v".repeat(100) + "\r\n").repeat(50 + rnd.nextInt(200)) + "\r\n");
                case 5 -> Raw.of("long-header", "GET " + path + " HTTP/1.1\r\nHost: x\r\nCookie: "
                        + "c".repeat(9000 + rnd.nextInt(9000)) + "\r\n\r\n");
                case 6 -> Raw.of("version", pick(rnd, "GET " + path + "\r\n\r\n", "GET " + path + " HTTP/0.9\r\n\r\n",
                        "GET " + path + " HTTP/2.0\r\nHost: x\r\n\r\n", "GET " + path + " HTTP/1.7\r\nHost: x\r\n\r\n",
                        "GET " + path + " FOO/1.1\r\n\r\n", "GET  HTTP/1.1\r\nHost: x\r\n\r\n",
                        "\r\n\r\nGET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", "GET " + path + " HTTP/1.1\nHost: x\n\n"));
                case 7 -> Raw.of("framing", pick(rnd,
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                        "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                        "GET " + path + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
                        "GET " + path + " HTTP/1.1\r\n Host: folded\r\n\r\n",
                        "GET " + path + " HTTP/1.1\r\nNoColonHeader\r\n\r\n"));
                case 8 -> garbage(rnd);
                case 9 -> Raw.of("method", pick(rnd, "BREW", "G\u00e9T", "PROPFIND", "CONNECT", "TRACE", "OPTIONS", "DELETE")
                        + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
                case 10 -> pipelined(rnd, path);
                default -> get("target", pick(rnd, "*", "http://evil.example/" + path, "//" + path, path + "#frag",
                        "/" + "a/".repeat(2000), path + "/../../../../etc/passwd", path + "/%2e%2e/%2e%2e/etc/passwd",
                        path + "/..%2f..%2fetc%2fpasswd", path + "/..%5c..%5cetc%5cpasswd", path + "/%252e%252e/x"));
            };
        };
    }

    /** Two or three requests in one write, one of them malformed; each gets its answer, in order. */
    private static Raw pipelined(Random rnd, String path) {
        int n = 2 + rnd.nextInt(2);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String target = i == 1 ? path + pick(rnd, "%ZZ", "?a=%", "/../x", "") : path;
            sb.append("GET ").append(target).append(" HTTP/1.1\r\nHost: x\r\n")
                    .append(i == n - 1 ? "Connection: close\r\n" : "").append("\r\n");
        }
        return new Raw("pipelined", sb.toString().getBytes(StandardCharsets.ISO_8859_1), new byte[0], n, false);
    }

    private static Raw garbage(Random rnd) {
        byte[] b = new byte[1 + rnd.nextInt(300)];
        rnd.nextBytes(b);
        String prefix = pick(rnd, "", "GET ", "GET / HTTP/1.1\r\nHost", "\u0016\u0003\u0001\u0002\u0000\u0001", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[p.length + b.length + 4];
        System.arraycopy(p, 0, all, 0, p.length);
        System.arraycopy(b, 0, all, p.length, b.length);
        System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0, all, p.length + b.length, 4);
        return new Raw("garbage", all, new byte[0], 1, false);
    }

    public static Raw get(String kind, String target) {
        return Raw.of(kind, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    public static Raw post(String kind, String target, String type, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return new Raw(kind, ("POST " + target + " HTTP/1.1\r\nHost: x\r\n" + (type.isEmpty() ? "" : "Content-Type: " + type
                + "\r\n") + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8), b, 1, false);
    }

    @SafeVarargs
    public static <T> T pick(Random rnd, T... options) {
        return options[rnd.nextInt(options.length)];
    }

    /** Sends every request on {@code threads} threads, one connection each, and collects what came back. */
    public static Result run(int port, List<Raw> requests, int threads) throws Exception {
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int slice = t;
                futures.add(pool.submit(() -> {
                    for (int i = slice; i < requests.size(); i += threads) {
                        Raw r = requests.get(i);
                        for (int status : send(port, r)) {
                            statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
                            if (status >= 500 || status <= 0) {
                                failures.add(status + " for " + r.describe());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Result(statuses, failures, requests.size());
    }

    /**
     * Sends one request on its own connection; returns the status of each expected answer:
     * -1 none came (closed without an answer), -2 not an HTTP/1.1 status line, -3 an I/O error.
     */
    public static int[] send(int port, Raw r) {
        int[] out = new int[r.answers()];
        java.util.Arrays.fill(out, -1);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            s.setSoLinger(true, 0); // no TIME_WAIT pile-up over thousands of connections
            OutputStream o = s.getOutputStream();
            if (r.bodyAfterAnswer() || r.body().length == 0) {
                o.write(r.head());
            } else {
                byte[] all = new byte[r.head().length + r.body().length];
                System.arraycopy(r.head(), 0, all, 0, r.head().length);
                System.arraycopy(r.body(), 0, all, r.head().length, r.body().length);
                o.write(all);
            }
            o.flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < out.length; i++) {
                out[i] = readAnswer(in);
                if (out[i] < 0) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < out.length; i++) {
                if (out[i] == -1) {
                    out[i] = -3;
                }
            }
        }
        return out;
    }

    /** Reads one response (status line, headers, Content-Length body) and returns its status. */
    private static int readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
            if (head.length() > 64 * 1024) {
                return -2;
            }
        }
        if (head.length() == 0) {
            return -1;
        }
        if (!head.toString().startsWith("HTTP/1.1 ") || head.length() < 12) {
            return -2;
        }
        int status = Integer.parseInt(head.substring(9, 12));
        long length = 0;
        for (String line : head.toString().split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                length = Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        in.skipNBytes(length);
        return status;
    }

    /**
     * Opens {@code connections} that send an incomplete request head a byte at a time, runs
     * {@code meanwhile} while they hang, then closes them: a server must keep answering others.
     */
    public static void slowloris(int port, int connections, Runnable meanwhile) throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.getOutputStream().write("GET /_ping HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                held.add(s);
            }
            for (Socket s : held) {
                s.getOutputStream().write('a');
                s.getOutputStream().flush();
            }
            meanwhile.run();
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * Sends the first half, counts this JVM's fds, sends the second half, and waits (up to 10 s, for
     * closes to land) until the count is back within {@code slack} of the first: pools and lazily
     * started event loops may open a few fds once, but nothing may grow with the number of requests.
     *
     * @return both halves' results merged
     */
    public static Result runWithFlatFds(int port, List<Raw> requests, int threads, int slack) throws Exception {
        int half = requests.size() / 2;
        Result first = run(port, requests.subList(0, half), threads);
        long fdsAtHalf = openFds();
        Result second = run(port, requests.subList(half, requests.size()), threads);
        // closed connections are reaped asynchronously: give them a moment before calling it a leak
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(100))
                .alias("fds grew from " + fdsAtHalf + " after " + half + " requests; after " + requests.size()
                        + " expected at most +" + slack)
                .until(() -> openFds() <= fdsAtHalf + slack);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>(first.statuses());
        second.statuses().forEach((k, v) -> statuses.computeIfAbsent(k, x -> new AtomicInteger()).addAndGet(v.get()));
        List<String> failures = new ArrayList<>(first.failures());
        failures.addAll(second.failures());
        return new Result(statuses, failures, requests.size());
    }

    /** Open file descriptors of this JVM (Linux), which holds the servers under test. */
    public static long openFds() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
