package io.smalldragonfly.dfget.peer;

import io.smalldragonfly.common.task.UrlFilter;
import io.smalldragonfly.dfget.engine.DownloadRequest;
import io.smalldragonfly.dfget.engine.Pattern;
import io.smalldragonfly.dfget.engine.SupernodeAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A download as dfget's command line states it, in plain values: what the command hands the peer
 * process's downloads ({@link PeerDownloads#start}) when it runs there for a thin client, and what
 * an in-process run turns into its {@link DownloadRequest} the same way, through
 * {@link #toRequest()}. Paths are absolute (resolved against the client's working directory).
 *
 * @param nodes      {@code --node} entries as typed ({@code host[:port][=weight]})
 * @param filter     {@code --filter} as typed ({@code k1&k2}), or null
 * @param pattern    {@code p2p}, {@code cdn} or {@code source}
 * @param totalLimit the host-wide {@code --totallimit}, bytes/s, 0 = none
 * @param timeoutMillis {@code --timeout}, 0 = none
 * @param peerIp     the address other peers reach this download's pieces at
 * @param sourceTimeoutMillis {@code --source-timeout}; 0 = the default
 */
public record DownloadOrder(String url, String output, List<String> nodes, String md5, String identifier,
                            List<String> headers, String filter, String pattern, long localLimit, long totalLimit,
                            long minRate, long timeoutMillis, boolean notbs, String callSystem, boolean insecure,
                            List<String> cacerts, int cdnPort, String peerIp,
                            long sourceTimeoutMillis) {

    public DownloadOrder {
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        headers = headers == null ? List.of() : List.copyOf(headers);
        cacerts = cacerts == null ? List.of() : List.copyOf(cacerts);
    }

    /**
     * The engine's request for this order.
     *
     * @throws IllegalArgumentException with what was expected, for any value the engine refuses
     */
    public DownloadRequest toRequest() {
        if (url == null) {
            throw new IllegalArgumentException("url: missing (expected -u http://...)");
        }
        if (output == null) {
            throw new IllegalArgumentException("output: missing (expected -o FILE)");
        }
        if (md5 != null && identifier != null) {
            throw new IllegalArgumentException("--md5 and --identifier: both given (expected at most one)");
        }
        UrlFilter.requireHttpUrl(url);
        return DownloadRequest.builder(url, Path.of(output))
                .nodes(SupernodeAddress.parseList(nodes))
                .md5(md5).identifier(identifier).headers(headers).filter(UrlFilter.parse(filter))
                .pattern(Pattern.parse(pattern == null ? "p2p" : pattern)).localLimit(localLimit).minRate(minRate)
                .timeout(Duration.ofMillis(Math.max(0, timeoutMillis))).notbs(notbs).callSystem(callSystem)
                .insecure(insecure).cacerts(cacerts.stream().map(Path::of).toList()).cdnPort(cdnPort)
                .peerIp(peerIp)
                .sourceTimeout(sourceTimeoutMillis > 0 ? Duration.ofMillis(sourceTimeoutMillis)
                        : DownloadRequest.DEFAULT_SOURCE_TIMEOUT)
                .build();
    }
}
