package io.smalldragonfly.supernode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a supernode needs to start, built once (from flags, YAML and environment by
 * {@link SupernodeCommand}, or in tests by {@link #forTest}) and never changed.
 *
 * @param home                 cache ({@code home/cache}) and logs ({@code home/logs})
 * @param bindHost             the address both servers bind
 * @param apiPort              the API port; 0 = ephemeral
 * @param downloadPort         the CDN piece port; 0 = ephemeral
 * @param advertiseIp          the address peers are told to fetch CDN pieces from
 * @param cdnUploadRate        bytes/s the CDN may send to peers in total; 0 = unlimited
 * @param sourceTimeout        connect and header timeout of source requests, and the longest a source
 *                             may send nothing mid-body before the CDN fails the task
 * @param cacheQuota           bytes of cache before least recently used tasks are evicted; 0 = none
 * @param minFreeDisk          evict while the cache's disk has less free space than this; 0 = none
 * @param taskExpiry           tasks unused this long are removed with their cache
 * @param piecesPerAnswer      at most this many pieces in one 601 answer
 * @param maxInFlight          pieces a downloader may be fetching at once
 * @param uploadsPerPeer       concurrent uploads asked of one peer
 * @param downLinkKbps         the {@code downLink} (KB/s) put in 601 entries
 * @param failureCacheTtl      how long a failed source probe is remembered (607/608 answered at once)
 * @param waitTimeout          how long {@code /peer/task} holds a request when no piece is ready yet
 * @param pieceTimeout         a piece handed out and never reported is released after this
 * @param cdnDuplicateAfter    a piece being fetched from the CDN by one peer is not sent from the CDN
 *                             to another until this passes (the others get it from that peer)
 * @param peerFailureLimit     a holder with this many failed pieces in {@code peerFailureWindow} is skipped
 * @param peerFailureWindow    how long a piece failure counts against a holder
 * @param heartbeatTimeout     a peer that heartbeats and then stops for this long is no longer a holder
 * @param sourceAllow          if not empty, only these hosts / CIDRs may be fetched
 * @param sourceDeny           these hosts / CIDRs are never fetched
 * @param sourceCas            PEM files of CAs trusted for https sources besides the JVM's
 */
public record SupernodeConfig(
        Path home,
        String bindHost,
        int apiPort,
        int downloadPort,
        String advertiseIp,
        long cdnUploadRate,
        Duration sourceTimeout,
        long cacheQuota,
        long minFreeDisk,
        Duration taskExpiry,
        int piecesPerAnswer,
        int maxInFlight,
        int uploadsPerPeer,
        int downLinkKbps,
        Duration failureCacheTtl,
        Duration waitTimeout,
        Duration pieceTimeout,
        Duration cdnDuplicateAfter,
        int peerFailureLimit,
        Duration peerFailureWindow,
        Duration heartbeatTimeout,
        List<String> sourceAllow,
        List<String> sourceDeny,
        List<Path> sourceCas) {

    public SupernodeConfig {
        Objects.requireNonNull(home, "home");
        bindHost = bindHost == null || bindHost.isBlank() ? "0.0.0.0" : bindHost;
        advertiseIp = advertiseIp == null || advertiseIp.isBlank() ? "127.0.0.1" : advertiseIp;
        checkPort("apiPort", apiPort);
        checkPort("downloadPort", downloadPort);
        checkNonNegative("cdnUploadRate", cdnUploadRate);
        checkNonNegative("cacheQuota", cacheQuota);
        checkNonNegative("minFreeDisk", minFreeDisk);
        checkPositive("piecesPerAnswer", piecesPerAnswer);
        checkPositive("maxInFlight", maxInFlight);
        checkPositive("uploadsPerPeer", uploadsPerPeer);
        checkPositive("downLinkKbps", downLinkKbps);
        checkPositive("peerFailureLimit", peerFailureLimit);
        sourceAllow = sourceAllow == null ? List.of() : List.copyOf(sourceAllow);
        sourceDeny = sourceDeny == null ? List.of() : List.copyOf(sourceDeny);
        sourceCas = sourceCas == null ? List.of() : List.copyOf(sourceCas);
        for (Duration d : List.of(sourceTimeout, taskExpiry, failureCacheTtl, waitTimeout, pieceTimeout,
                cdnDuplicateAfter, peerFailureWindow, heartbeatTimeout)) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("duration: " + d + " (expected >= 0)");
            }
        }
    }

    /** Production defaults, bound to 0.0.0.0:8002 (API) and :8001 (pieces). */
    public static Builder builder(Path home) {
        return new Builder(home);
    }

    /** Ephemeral ports on 127.0.0.1, advertised as 127.0.0.1, short timeouts: for tests. */
    public static SupernodeConfig forTest(Path home) {
        return builder(home).bindHost("127.0.0.1").apiPort(0).downloadPort(0).advertiseIp("127.0.0.1")
                .sourceTimeout(Duration.ofSeconds(5)).failureCacheTtl(Duration.ofSeconds(2))
                .build();
    }

    public Path cacheDir() {
        return home.resolve("cache");
    }

    public Path logDir() {
        return home.resolve("logs");
    }

    public Builder toBuilder() {
        Builder b = new Builder(home);
        b.bindHost = bindHost;
        b.apiPort = apiPort;
        b.downloadPort = downloadPort;
        b.advertiseIp = advertiseIp;
        b.cdnUploadRate = cdnUploadRate;
        b.sourceTimeout = sourceTimeout;
        b.cacheQuota = cacheQuota;
        b.minFreeDisk = minFreeDisk;
        b.taskExpiry = taskExpiry;
        b.piecesPerAnswer = piecesPerAnswer;
        b.maxInFlight = maxInFlight;
        b.uploadsPerPeer = uploadsPerPeer;
        b.downLinkKbps = downLinkKbps;
        b.failureCacheTtl = failureCacheTtl;
        b.waitTimeout = waitTimeout;
        b.pieceTimeout = pieceTimeout;
        b.cdnDuplicateAfter = cdnDuplicateAfter;
        b.peerFailureLimit = peerFailureLimit;
        b.peerFailureWindow = peerFailureWindow;
        b.heartbeatTimeout = heartbeatTimeout;
        b.sourceAllow = sourceAllow;
        b.sourceDeny = sourceDeny;
        b.sourceCas = sourceCas;
        return b;
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + ": " + port + " (expected 0..65535, 0 = ephemeral)");
        }
    }

    private static void checkNonNegative(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected >= 0)");
        }
    }

    private static void checkPositive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected > 0)");
        }
    }

    /** A mutable builder with the production defaults. */
    public static final class Builder {
        private final Path home;
        private String bindHost = "0.0.0.0";
        private int apiPort = 8002;
        private int downloadPort = 8001;
        private String advertiseIp = "127.0.0.1";
        private long cdnUploadRate = 0;
        private Duration sourceTimeout = Duration.ofSeconds(20);
        private long cacheQuota = 0;
        private long minFreeDisk = 0;
        private Duration taskExpiry = Duration.ofHours(3);
        private int piecesPerAnswer = 4;
        private int maxInFlight = 4;
        private int uploadsPerPeer = 5;
        private int downLinkKbps = 20480;
        private Duration failureCacheTtl = Duration.ofSeconds(10);
        private Duration waitTimeout = Duration.ofMillis(800);
        private Duration pieceTimeout = Duration.ofSeconds(30);
        private Duration cdnDuplicateAfter = Duration.ofSeconds(3);
        private int peerFailureLimit = 5;
        private Duration peerFailureWindow = Duration.ofMinutes(1);
        private Duration heartbeatTimeout = Duration.ofSeconds(90);
        private List<String> sourceAllow = List.of();
        private List<String> sourceDeny = List.of();
        private List<Path> sourceCas = List.of();

        private Builder(Path home) {
            this.home = home;
        }

        public Builder bindHost(String v) { bindHost = v; return this; }
        public Builder apiPort(int v) { apiPort = v; return this; }
        public Builder downloadPort(int v) { downloadPort = v; return this; }
        public Builder advertiseIp(String v) { advertiseIp = v; return this; }
        public Builder cdnUploadRate(long v) { cdnUploadRate = v; return this; }
        public Builder sourceTimeout(Duration v) { sourceTimeout = v; return this; }
        public Builder cacheQuota(long v) { cacheQuota = v; return this; }
        public Builder minFreeDisk(long v) { minFreeDisk = v; return this; }
        public Builder taskExpiry(Duration v) { taskExpiry = v; return this; }
        public Builder piecesPerAnswer(int v) { piecesPerAnswer = v; return this; }
        public Builder maxInFlight(int v) { maxInFlight = v; return this; }
        public Builder uploadsPerPeer(int v) { uploadsPerPeer = v; return this; }
        public Builder downLinkKbps(int v) { downLinkKbps = v; return this; }
        public Builder failureCacheTtl(Duration v) { failureCacheTtl = v; return this; }
        public Builder waitTimeout(Duration v) { waitTimeout = v; return this; }
        public Builder pieceTimeout(Duration v) { pieceTimeout = v; return this; }
        public Builder cdnDuplicateAfter(Duration v) { cdnDuplicateAfter = v; return this; }
        public Builder peerFailureLimit(int v) { peerFailureLimit = v; return this; }
        public Builder peerFailureWindow(Duration v) { peerFailureWindow = v; return this; }
        public Builder heartbeatTimeout(Duration v) { heartbeatTimeout = v; return this; }
        public Builder sourceAllow(List<String> v) { sourceAllow = v; return this; }
        public Builder sourceDeny(List<String> v) { sourceDeny = v; return this; }
        public Builder sourceCas(List<Path> v) { sourceCas = v; return this; }

        public SupernodeConfig build() {
            return new SupernodeConfig(home, bindHost, apiPort, downloadPort, advertiseIp, cdnUploadRate,
                    sourceTimeout, cacheQuota, minFreeDisk, taskExpiry, piecesPerAnswer, maxInFlight,
                    uploadsPerPeer, downLinkKbps, failureCacheTtl, waitTimeout, pieceTimeout, cdnDuplicateAfter,
                    peerFailureLimit, peerFailureWindow, heartbeatTimeout, sourceAllow, sourceDeny, sourceCas);
        }
    }
}
