package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.task.UrlFilter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What to download and how: the engine's equivalent of dfget's command line, free of CLI types.
 * Build one with {@link #builder(String, Path)}.
 *
 * @param headers     request headers for the source, each {@code "Name: value"}
 * @param localLimit  bytes/s for this download, 0 = unlimited
 * @param minRate     the slowest acceptable piece rate in bytes/s; sets the per-piece deadline
 * @param timeout     the whole download's deadline, {@link Duration#ZERO} = none
 * @param notbs       never go back to the source
 * @param cdnPort     the supernode's CDN port for {@link Pattern#CDN} before any CDN piece names it; 0 = unknown
 * @param peerIp      the address other peers reach this download's pieces at; null = the engine's
 *                    ({@link EngineConfig#ip}). A host's peer process serves downloads for clients
 *                    that each know the address routing to their supernodes.
 * @param sourceTimeout back to source: the longest the source may take to connect, to answer, or
 *                    send nothing mid-body; a stall ends the download (not retried)
 */
public record DownloadRequest(String url, Path output, List<SupernodeAddress> nodes, String md5, String identifier,
                              List<String> headers, UrlFilter filter, Pattern pattern, long localLimit,
                              long minRate, Duration timeout, boolean notbs, String callSystem,
                              boolean dfdaemon, boolean insecure, List<Path> cacerts, int cdnPort,
                              String peerIp, Duration sourceTimeout) {

    /**
     * With the supernode's own default (20 s) this bounds a stalled source: the CDN gives up
     * after 20 s, dfget's own try after 20 more, the download fails well within 60 s.
     */
    public static final Duration DEFAULT_SOURCE_TIMEOUT = Duration.ofSeconds(20);

    public DownloadRequest {
        UrlFilter.requireHttpUrl(url);
        if (output == null) {
            throw new IllegalArgumentException("output: missing (expected a file path)");
        }
        nodes = List.copyOf(nodes == null ? List.of() : nodes);
        headers = List.copyOf(headers == null ? List.of() : headers);
        cacerts = List.copyOf(cacerts == null ? List.of() : cacerts);
        filter = filter == null ? UrlFilter.NONE : filter;
        pattern = pattern == null ? Pattern.P2P : pattern;
        timeout = timeout == null ? Duration.ZERO : timeout;
        sourceTimeout = sourceTimeout == null ? DEFAULT_SOURCE_TIMEOUT : sourceTimeout;
        if (sourceTimeout.isNegative() || sourceTimeout.isZero()) {
            throw new IllegalArgumentException("source timeout: " + sourceTimeout + " (expected > 0)");
        }
        md5 = blankToNull(md5);
        peerIp = blankToNull(peerIp);
        identifier = blankToNull(identifier);
        if (md5 != null && identifier != null) {
            throw new IllegalArgumentException("md5 and identifier: both given (expected at most one of them)");
        }
        if (md5 != null && !md5.matches("[0-9a-fA-F]{32}")) {
            throw new IllegalArgumentException("md5: '" + md5 + "' (expected 32 hex digits)");
        }
        md5 = md5 == null ? null : md5.toLowerCase(java.util.Locale.ROOT);
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("header: '" + h + "' (expected \"Name: value\")");
            }
        }
        if (localLimit < 0 || minRate < 0) {
            throw new IllegalArgumentException("rate: negative (expected bytes/s >= 0)");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** The URL the task id derives from: {@link #url} without the {@link #filter} keys. */
    public String taskUrl() {
        return filter.apply(url);
    }

    public static Builder builder(String url, Path output) {
        return new Builder(url, output);
    }

    /** A builder with the original dfget's defaults. */
    public static final class Builder {
        private final String url;
        private final Path output;
        private List<SupernodeAddress> nodes = new ArrayList<>();
        private String md5;
        private String identifier;
        private List<String> headers = new ArrayList<>();
        private UrlFilter filter = UrlFilter.NONE;
        private Pattern pattern = Pattern.P2P;
        private long localLimit;
        private long minRate = 64 * 1024;
        private Duration timeout = Duration.ZERO;
        private boolean notbs;
        private String callSystem;
        private boolean dfdaemon;
        private boolean insecure;
        private List<Path> cacerts = new ArrayList<>();
        private int cdnPort;
        private String peerIp;
        private Duration sourceTimeout = DEFAULT_SOURCE_TIMEOUT;

        private Builder(String url, Path output) {
            this.url = url;
            this.output = output;
        }

        public Builder nodes(List<SupernodeAddress> v) { this.nodes = new ArrayList<>(v); return this; }
        public Builder node(SupernodeAddress v) { this.nodes.add(v); return this; }
        public Builder md5(String v) { this.md5 = v; return this; }
        public Builder identifier(String v) { this.identifier = v; return this; }
        public Builder headers(List<String> v) { this.headers = new ArrayList<>(v); return this; }
        public Builder header(String v) { this.headers.add(v); return this; }
        public Builder filter(UrlFilter v) { this.filter = v; return this; }
        public Builder pattern(Pattern v) { this.pattern = v; return this; }
        public Builder localLimit(long v) { this.localLimit = v; return this; }
        public Builder minRate(long v) { this.minRate = v; return this; }
        public Builder timeout(Duration v) { this.timeout = v; return this; }
        public Builder notbs(boolean v) { this.notbs = v; return this; }
        public Builder callSystem(String v) { this.callSystem = v; return this; }
        public Builder dfdaemon(boolean v) { this.dfdaemon = v; return this; }
        public Builder insecure(boolean v) { this.insecure = v; return this; }
        public Builder cacerts(List<Path> v) { this.cacerts = new ArrayList<>(v); return this; }
        public Builder cdnPort(int v) { this.cdnPort = v; return this; }
        public Builder peerIp(String v) { this.peerIp = v; return this; }
        public Builder sourceTimeout(Duration v) { this.sourceTimeout = v; return this; }

        public DownloadRequest build() {
            return new DownloadRequest(url, output, nodes, md5, identifier, headers, filter, pattern, localLimit,
                    minRate, timeout, notbs, callSystem, dfdaemon, insecure, cacerts, cdnPort, peerIp,
                    sourceTimeout);
        }
    }
}
