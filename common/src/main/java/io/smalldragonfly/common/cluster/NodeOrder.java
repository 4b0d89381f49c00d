package io.smalldragonfly.common.cluster;

import io.smalldragonfly.common.util.Digests;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The order in which a client tries the supernodes of a cluster for one task: weighted rendezvous
 * (highest random weight) hashing of the task id, so every peer of a task meets at the same
 * supernode, different tasks spread over all of them in proportion to their weights, the second in
 * the order is where a task goes when the first dies, and adding or removing one supernode moves
 * only the tasks that pick (or picked) it. docs/cluster.md gives the function exactly so that
 * another implementation can reproduce it:
 *
 * <pre>
 * key   = lowercase(host) + ":" + port
 * h     = SHA-256(UTF-8(taskId + "\n" + key))
 * u     = first 8 bytes of h, big-endian, unsigned
 * x     = ((u >>> 11) + 0.5) / 2^53               (uniform in (0, 1), never 0 or 1)
 * score = weight / -ln(x)
 * </pre>
 *
 * Highest score first; equal scores (never seen in practice) by key, ascending.
 */
public final class NodeOrder {

    private NodeOrder() {}

    /** A node's identity in the hash: {@code lowercase(host) + ":" + port}. */
    public static String key(String host, int port) {
        return host.toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** The node's score for the task (higher comes first). */
    public static double score(String taskId, String key, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight: " + weight + " (expected >= 1)");
        }
        byte[] h = Digests.sha256().digest((taskId + "\n" + key).getBytes(StandardCharsets.UTF_8));
        long u = ByteBuffer.wrap(h, 0, 8).getLong();
        double x = ((u >>> 11) + 0.5) / 0x1p53;
        return weight / -StrictMath.log(x); // fdlibm: the same bits on every JVM
    }

    /**
     * {@code nodes} in the task's order. Duplicates (the same key twice) keep their first entry only,
     * so a node listed twice does not count double.
     */
    public static <T> List<T> order(String taskId, List<T> nodes, Function<T, String> key, ToIntFunction<T> weight) {
        record Scored<T>(T node, String key, double score) {}
        List<Scored<T>> scored = new ArrayList<>(nodes.size());
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (T n : nodes) {
            String k = key.apply(n);
            if (seen.add(k)) {
                scored.add(new Scored<>(n, k, score(taskId, k, weight.applyAsInt(n))));
            }
        }
        scored.sort(Comparator.comparingDouble((Scored<T> s) -> s.score()).reversed()
                .thenComparing(Scored::key));
        List<T> out = new ArrayList<>(scored.size());
        scored.forEach(s -> out.add(s.node()));
        return out;
    }
}
