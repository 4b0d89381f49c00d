package io.smalldragonfly.dfget.engine;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The host-wide settings of one {@link DownloadEngine}: who this peer is and how it serves.
 *
 * @param home           holds {@code data/} (what the upload server serves) and the logs
 * @param ip             the address other peers reach this host's upload server at
 * @param uploadPort     this host's upload server port; 0 when pieces are not served to others
 * @param parallelPieces pieces fetched at once per download (the original: 4)
 * @param pieceTimeout   the least time a piece may take before it is abandoned (stalls fail sooner)
 * @param totalLimit     bytes/s for all downloads of this engine together, 0 = unlimited
 */
public record EngineConfig(Path home, String ip, String hostName, int uploadPort, int parallelPieces,
                           Duration pieceTimeout, long totalLimit) {

    public EngineConfig {
        if (home == null) {
            throw new IllegalArgumentException("home: missing");
        }
        ip = ip == null || ip.isBlank() ? "127.0.0.1" : ip;
        hostName = hostName == null || hostName.isBlank() ? localHostName() : hostName;
        if (parallelPieces < 1) {
            throw new IllegalArgumentException("parallelPieces: " + parallelPieces + " (expected >= 1)");
        }
        pieceTimeout = pieceTimeout == null ? Duration.ofSeconds(30) : pieceTimeout;
    }

    /** Defaults for a peer with home {@code home} serving on {@code uploadPort}. */
    public static EngineConfig of(Path home, int uploadPort) {
        return new EngineConfig(home, "127.0.0.1", null, uploadPort, 4, Duration.ofSeconds(30), 0);
    }

    public EngineConfig withUploadPort(int port) {
        return new EngineConfig(home, ip, hostName, port, parallelPieces, pieceTimeout, totalLimit);
    }

    public EngineConfig withIp(String newIp) {
        return new EngineConfig(home, newIp, hostName, uploadPort, parallelPieces, pieceTimeout, totalLimit);
    }

    public EngineConfig withTotalLimit(long limit) {
        return new EngineConfig(home, ip, hostName, uploadPort, parallelPieces, pieceTimeout, limit);
    }

    public Path dataDir() {
        return home.resolve("data");
    }

    private static String localHostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
