package io.smalldragonfly.dfdaemon.proxy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * dfdaemon's Prometheus metrics, in a registry of its own (no global state): requests by route,
 * blobs and blob bytes by source ({@code p2p} or {@code direct}), P2P fallbacks, and stream
 * errors by kind. Served as text on {@code /metrics}.
 */
public final class DfdaemonMetrics {

    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("dfdaemon_requests_total")
            .help("Requests by route").labelNames("route").register(registry);
    private final Counter blobs = Counter.builder().name("dfdaemon_blobs_total")
            .help("Blobs served completely, by source").labelNames("source").register(registry);
    private final Counter blobBytes = Counter.builder().name("dfdaemon_blob_bytes_total")
            .help("Blob bytes sent to clients, by source").labelNames("source").register(registry);
    private final Counter fallbacks = Counter.builder().name("dfdaemon_p2p_fallbacks_total")
            .help("Blobs fetched from the registry because the P2P path failed").register(registry);
    private final Counter streamErrors = Counter.builder().name("dfdaemon_stream_errors_total")
            .help("Blob and relay streams aborted, by kind").labelNames("kind").register(registry);

    void request(Route.Kind route) {
        requests.labelValues(route.label()).inc();
    }

    void blobDone(String source) {
        blobs.labelValues(source).inc();
    }

    void blobBytes(String source, long n) {
        blobBytes.labelValues(source).inc(n);
    }

    void fallback() {
        fallbacks.inc();
    }

    void streamError(String kind) {
        streamErrors.labelValues(kind).inc();
    }

    public double requests(String route) {
        return requests.labelValues(route).get();
    }

    public double blobs(String source) {
        return blobs.labelValues(source).get();
    }

    public double blobBytes(String source) {
        return blobBytes.labelValues(source).get();
    }

    public double streamErrors(String kind) {
        return streamErrors.labelValues(kind).get();
    }

    public double fallbacks() {
        return fallbacks.get();
    }

    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
