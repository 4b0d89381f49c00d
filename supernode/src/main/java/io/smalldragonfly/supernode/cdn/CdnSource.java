package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.supernode.SupernodeConfig;
import java.net.URI;
import java.util.List;

/**
 * The CDN's one way to a source: every request the CDN's parts make ({@link SourceProbe}'s probes,
 * {@link CacheWriter}'s fetches) goes through here, so the HTTP client behind it can be swapped in
 * this one file (and faked in tests).
 */
interface CdnSource {

    /** HEAD (conditional when validators are given), else a one-byte GET; see {@link SourceClient#probe}. */
    SourceClient.Probe probe(URI uri, List<String[]> headers, String ifNoneMatch, String ifModifiedSince);

    /** GET from content offset {@code from}; see {@link SourceClient#open}. */
    SourceClient.Fetch open(URI uri, List<String[]> headers, long from);

    /** The source client the flags describe: allow / deny list, timeout, extra CAs. */
    static CdnSource of(SupernodeConfig config) {
        SourceClient client = new SourceClient(new SourcePolicy(config.sourceAllow(), config.sourceDeny()),
                config.sourceTimeout(), config.sourceCas());
        return new CdnSource() {
            @Override
            public SourceClient.Probe probe(URI uri, List<String[]> headers, String ifNoneMatch,
                                            String ifModifiedSince) {
                return client.probe(uri, headers, ifNoneMatch, ifModifiedSince);
            }

            @Override
            public SourceClient.Fetch open(URI uri, List<String[]> headers, long from) {
                return client.open(uri, headers, from);
            }
        };
    }
}
