package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.source.SourceAnswerException;
import io.smalldragonfly.common.source.SourceHeaders;
import io.smalldragonfly.common.source.SourceHeaders.Header;
import io.smalldragonfly.common.source.SourceHttpClient;
import io.smalldragonfly.common.source.SourceRequest;
import io.smalldragonfly.common.source.SourceResponse;
import io.smalldragonfly.common.source.SourceTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CDN's questions to a source (probe, open from an offset) over the one source client,
 * {@link SourceHttpClient}, with the {@link SourcePolicy} checking every hop; answers become
 * {@link SourceException}s with the result codes clients expect. Runs on the CDN's fetch threads only.
 */
public final class SourceClient {

    /** The answer to a probe: what the source says about the file. */
    public record Probe(boolean notModified, long contentLength, String etag, String lastModified,
                        boolean acceptRanges, URI location) {}

    /** An open GET: status 200 (whole body) or 206 (from the requested offset). */
    public record Fetch(int status, long contentLength, String etag, String lastModified, InputStream body)
            implements AutoCloseable {
        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // closing aborts the connection; nothing to recover
            }
        }
    }

    private final SourceHttpClient client;

    public SourceClient(SourcePolicy policy, Duration timeout) {
        this(policy, timeout, List.of());
    }

    /** @param extraCas PEM files of CAs trusted besides the JVM's ({@code --source-ca}) */
    public SourceClient(SourcePolicy policy, Duration timeout, List<Path> extraCas) {
        this.client = SourceHttpClient.builder(timeout).timeoutOption("--source-timeout")
                .tls(SourceTls.withExtraCas(extraCas, "--source-ca")).urlCheck(policy::check)
                .userAgent("small-dragonfly-supernode").build();
    }

    /** Parses {@code "Name: value"} lines; a malformed line is a protocol error naming it. */
    public static List<String[]> parseHeaders(List<String> headers) {
        try {
            List<String[]> out = new ArrayList<>();
            for (Header h : SourceHeaders.parse(headers)) {
                out.add(new String[] {h.name(), h.value()});
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(e.getMessage());
        }
    }

    /**
     * HEAD (conditional when validators are given), else {@code GET Range: bytes=0-0}.
     *
     * @throws SourceException 608 for 401/407, 607 for 404, other errors and unreachable sources
     */
    public Probe probe(URI uri, List<String[]> headers, String ifNoneMatch, String ifModifiedSince) {
        List<Header> h = toHeaders(headers);
        try (SourceResponse head = send(uri, SourceRequest.head(uri, h).ifChanged(ifNoneMatch, ifModifiedSince))) {
            int status = head.status();
            if (status == 304) {
                return new Probe(true, -1, head.header("etag"), head.header("last-modified"), false, head.uri());
            }
            if (status == 200) {
                String ranges = head.header("accept-ranges");
                return new Probe(false, head.contentLength(), head.header("etag"), head.header("last-modified"),
                        ranges != null && ranges.toLowerCase(Locale.ROOT).contains("bytes"), head.uri());
            }
            checkStatus(status, uri);
        }
        // HEAD refused (405, 403 on signed URLs, ...): ask for one byte instead.
        try (SourceResponse get = send(uri, SourceRequest.get(uri, h).range(0, 0).ifChanged(ifNoneMatch, ifModifiedSince))) {
            int s = get.status();
            if (s == 304) {
                return new Probe(true, -1, get.header("etag"), get.header("last-modified"), false, get.uri());
            }
            if (s == 206) {
                return new Probe(false, get.contentRange().total(), get.header("etag"), get.header("last-modified"),
                        true, get.uri());
            }
            if (s == 200) {
                return new Probe(false, get.contentLength(), get.header("etag"), get.header("last-modified"), false,
                        get.uri());
            }
            checkStatus(s, uri);
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " answered " + s);
        }
    }

    /**
     * GET from content offset {@code from} (a Range request when above 0); the body is read with
     * large blocking reads straight from the connection.
     */
    public Fetch open(URI uri, List<String[]> headers, long from) {
        SourceRequest get = SourceRequest.get(uri, toHeaders(headers));
        SourceResponse r = send(uri, from > 0 ? get.range(from, -1) : get);
        int s = r.status();
        if (s == 200 || s == 206) {
            return new Fetch(s, r.contentLength(), r.header("etag"), r.header("last-modified"), r.body());
        }
        r.close();
        checkStatus(s, uri);
        throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " answered " + s);
    }

    private SourceResponse send(URI uri, SourceRequest request) {
        try {
            return client.send(request);
        } catch (SourceAnswerException | java.net.SocketTimeoutException e) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, e.getMessage());
        } catch (IOException e) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " is unreachable: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + ": " + e.getMessage());
        }
    }

    private static List<Header> toHeaders(List<String[]> headers) {
        List<Header> out = new ArrayList<>(headers.size());
        for (String[] h : headers) {
            out.add(new Header(h[0], h[1]));
        }
        return out;
    }

    private static void checkStatus(int status, URI uri) {
        if (status == 401 || status == 407) {
            throw new SourceException(ResultCode.NEED_AUTH, "source " + uri + " answered " + status
                    + " (it needs credentials: pass them with --header)");
        }
        if (status == 404 || status == 410) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " answered " + status
                    + " (no such file)");
        }
        if (status >= 500) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " answered " + status);
        }
    }
}
