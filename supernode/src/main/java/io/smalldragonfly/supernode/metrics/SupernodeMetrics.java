package io.smalldragonfly.supernode.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.smalldragonfly.supernode.cdn.CdnListener;
import io.smalldragonfly.supernode.scheduler.SchedulerListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The supernode's Prometheus metrics, in a registry of its own (several supernodes may share a JVM
 * in tests). Names are stable; benchmarks and dashboards read them:
 * {@code supernode_cdn_source_bytes_total}, {@code supernode_cdn_upload_bytes_total},
 * {@code supernode_pieces_scheduled_total{source="peer"|"cdn"}}, {@code supernode_tasks},
 * {@code supernode_peers}, {@code supernode_task_peers{task}} (which tasks this supernode owns, in a
 * cluster), {@code supernode_request_duration_seconds{endpoint}}.
 */
public final class SupernodeMetrics implements CdnListener, SchedulerListener {

    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter sourceBytes;
    private final Counter uploadBytes;
    private final Counter scheduled;
    private final Histogram latency;

    public SupernodeMetrics(DoubleSupplier tasks, DoubleSupplier peers) {
        sourceBytes = Counter.builder().name("supernode_cdn_source_bytes_total")
                .help("Content bytes the CDN fetched from sources").register(registry);
        uploadBytes = Counter.builder().name("supernode_cdn_upload_bytes_total")
                .help("Framed piece bytes the CDN sent to peers").register(registry);
        scheduled = Counter.builder().name("supernode_pieces_scheduled_total")
                .help("Pieces handed to downloaders, by holder kind").labelNames("source").register(registry);
        latency = Histogram.builder().name("supernode_request_duration_seconds")
                .help("API request latency by endpoint").labelNames("endpoint")
                .classicOnly().classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
                .register(registry);
        GaugeWithCallback.builder().name("supernode_tasks").help("Tasks known to the scheduler")
                .callback(cb -> cb.call(tasks.getAsDouble())).register(registry);
        GaugeWithCallback.builder().name("supernode_peers").help("Distinct peers registered for some task")
                .callback(cb -> cb.call(peers.getAsDouble())).register(registry);
        scheduled.labelValues("peer");
        scheduled.labelValues("cdn");
    }

    /**
     * Publishes {@code supernode_task_peers{task="<taskId>"}}: one series per task this supernode
     * owns, with its registered peers. The label's values are bounded by the tasks in the cache.
     */
    public void taskPeers(Supplier<Map<String, Integer>> peersByTask) {
        GaugeWithCallback.builder().name("supernode_task_peers")
                .help("Peers registered per task this supernode owns").labelNames("task")
                .callback(cb -> peersByTask.get().forEach((task, n) -> cb.call(n, task))).register(registry);
    }

    @Override
    public void sourceBytes(long bytes) {
        sourceBytes.inc(bytes);
    }

    @Override
    public void uploadBytes(long bytes) {
        uploadBytes.inc(bytes);
    }

    @Override
    public void scheduled(boolean fromCdn, int count) {
        if (count > 0) {
            scheduled.labelValues(fromCdn ? "cdn" : "peer").inc(count);
        }
    }

    public void observe(String endpoint, long nanos) {
        latency.labelValues(endpoint).observe(nanos / 1e9);
    }

    public double scheduledFrom(String source) {
        return scheduled.labelValues(source).get();
    }

    public double sourceBytesTotal() {
        return sourceBytes.get();
    }

    public double uploadBytesTotal() {
        return uploadBytes.get();
    }

    /** The Prometheus text exposition (format 0.0.4). */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
