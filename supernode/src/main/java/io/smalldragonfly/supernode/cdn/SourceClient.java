package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.tls.TrustStores;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * Blocking HTTP/1.1 requests to sources with the client's headers, following redirects itself so
 * that every hop passes the {@link SourcePolicy}. Runs on the CDN's fetch threads only.
 */
public final class SourceClient {

    private static final int MAX_REDIRECTS = 5;
    /** Headers the JDK client refuses or that the CDN sets itself. */
    private static final Set<String> DROPPED = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "range", "if-none-match", "if-modified-since", "te", "trailer", "transfer-encoding", "keep-alive",
            "proxy-connection", "http2-settings", "date", "from", "via", "warning");

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

    private final HttpClient client;
    private final SSLContext tls;
    private final SourcePolicy policy;
    private final Duration timeout;

    public SourceClient(SourcePolicy policy, Duration timeout) {
        this(policy, timeout, List.of());
    }

    /** @param extraCas PEM files of CAs trusted besides the JVM's ({@code --source-ca}) */
    public SourceClient(SourcePolicy policy, Duration timeout, List<Path> extraCas) {
        this.policy = policy;
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout);
        if (!extraCas.isEmpty()) {
            b.sslContext(TrustStores.clientContext(extraCas, "--source-ca"));
        }
        this.client = b.build();
        this.tls = client.sslContext();
    }

    /** Parses {@code "Name: value"} lines; a malformed line is a protocol error naming it. */
    public static List<String[]> parseHeaders(List<String> headers) {
        List<String[]> out = new ArrayList<>();
        for (String h : headers) {
            int colon = h == null ? -1 : h.indexOf(':');
            if (colon <= 0) {
                throw new ProtocolException("headers: '" + h + "' (expected \"Name: value\")");
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)
                    || value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                throw new ProtocolException("headers: '" + h + "' (expected \"Name: value\" with a token name)");
            }
            out.add(new String[] {name, value});
        }
        return out;
    }

    /**
     * HEAD (conditional when validators are given), else {@code GET Range: bytes=0-0}.
     *
     * @throws SourceException 608 for 401/407, 607 for 404, other errors and unreachable sources
     */
    public Probe probe(URI uri, List<String[]> headers, String ifNoneMatch, String ifModifiedSince) {
        HttpResponse<Void> head = send(uri, headers, "HEAD", null, ifNoneMatch, ifModifiedSince,
                HttpResponse.BodyHandlers.discarding());
        int status = head.statusCode();
        if (status == 304) {
            return new Probe(true, -1, etag(head), lastModified(head), false, head.uri());
        }
        if (status == 200) {
            return new Probe(false, length(head), etag(head), lastModified(head),
                    head.headers().firstValue("accept-ranges").map(v -> v.toLowerCase(Locale.ROOT).contains("bytes"))
                            .orElse(false), head.uri());
        }
        checkStatus(status, uri);
        // HEAD refused (405, 403 on signed URLs, ...): ask for one byte instead.
        HttpResponse<InputStream> get = send(uri, headers, "GET", "bytes=0-0", ifNoneMatch, ifModifiedSince,
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream ignored = get.body()) {
            int s = get.statusCode();
            if (s == 304) {
                return new Probe(true, -1, etag(get), lastModified(get), false, get.uri());
            }
            if (s == 206) {
                long total = get.headers().firstValue("content-range").map(SourceClient::totalOf).orElse(-1L);
                return new Probe(false, total, etag(get), lastModified(get), true, get.uri());
            }
            if (s == 200) {
                return new Probe(false, length(get), etag(get), lastModified(get), false, get.uri());
            }
            checkStatus(s, uri);
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " answered " + s);
        } catch (IOException e) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + ": " + e.getMessage());
        }
    }

    /**
     * GET from content offset {@code from} (a Range request when above 0), on a connection of its own
     * read with large blocking reads ({@link BodyConnection}); redirects are followed here too, each
     * hop checked against the policy.
     */
    public Fetch open(URI uri, List<String[]> headers, long from) {
        List<String[]> sent = new ArrayList<>();
        for (String[] h : headers) {
            if (!DROPPED.contains(h[0].toLowerCase(Locale.ROOT))) {
                sent.add(h);
            }
        }
        if (from > 0) {
            sent.add(new String[] {"Range", "bytes=" + from + "-"});
        }
        URI current = uri;
        for (int hop = 0; ; hop++) {
            policy.check(current);
            BodyConnection.Answer r;
            try {
                r = BodyConnection.get(current, sent, timeout, tls, 0);
            } catch (IOException e) {
                throw new SourceException(ResultCode.URL_NOT_REACHABLE,
                        "source " + current + " is unreachable: " + describe(e));
            } catch (IllegalArgumentException e) {
                throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + current + ": " + e.getMessage());
            }
            int s = r.status();
            if (s == 200 || s == 206) {
                return new Fetch(s, r.contentLength(), r.header("etag"), r.header("last-modified"), r.body());
            }
            try {
                r.body().close();
            } catch (IOException ignored) {
                // the answer's body is not needed
            }
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                current = redirect(uri, current, r.header("location"), hop);
                continue;
            }
            checkStatus(s, uri);
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + " answered " + s);
        }
    }

    private static URI redirect(URI uri, URI current, String location, int hop) {
        if (location == null || hop >= MAX_REDIRECTS) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri + ": "
                    + (location == null ? "redirect without Location" : "more than " + MAX_REDIRECTS + " redirects"));
        }
        try {
            return current.resolve(location.trim());
        } catch (IllegalArgumentException e) {
            throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + uri
                    + ": bad redirect Location '" + location + "'");
        }
    }

    private <T> HttpResponse<T> send(URI uri, List<String[]> headers, String method, String range,
                                     String ifNoneMatch, String ifModifiedSince,
                                     HttpResponse.BodyHandler<T> handler) {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            policy.check(current);
            HttpResponse<T> r;
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(current).timeout(timeout)
                        .method(method, HttpRequest.BodyPublishers.noBody());
                for (String[] h : headers) {
                    if (!DROPPED.contains(h[0].toLowerCase(Locale.ROOT))) {
                        b.header(h[0], h[1]);
                    }
                }
                if (range != null) {
                    b.header("Range", range);
                }
                if (ifNoneMatch != null) {
                    b.header("If-None-Match", ifNoneMatch);
                }
                if (ifModifiedSince != null) {
                    b.header("If-Modified-Since", ifModifiedSince);
                }
                r = client.send(b.build(), handler);
            } catch (IOException e) {
                throw new SourceException(ResultCode.URL_NOT_REACHABLE,
                        "source " + current + " is unreachable: " + describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + current + ": interrupted");
            } catch (IllegalArgumentException e) {
                throw new SourceException(ResultCode.URL_NOT_REACHABLE, "source " + current + ": " + e.getMessage());
            }
            int s = r.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                if (r.body() instanceof InputStream in) {
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // the redirect's body is not needed
                    }
                }
                current = redirect(uri, current, r.headers().firstValue("location").orElse(null), hop);
                continue;
            }
            return r;
        }
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

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }

    private static long length(HttpResponse<?> r) {
        if (r.headers().firstValue("transfer-encoding").isPresent()) {
            return -1;
        }
        return r.headers().firstValueAsLong("content-length").orElse(-1L);
    }

    private static String etag(HttpResponse<?> r) {
        return r.headers().firstValue("etag").orElse(null);
    }

    private static String lastModified(HttpResponse<?> r) {
        return r.headers().firstValue("last-modified").orElse(null);
    }

    static long totalOf(String contentRange) {
        int slash = contentRange.lastIndexOf('/');
        if (slash < 0) {
            return -1;
        }
        try {
            return Long.parseLong(contentRange.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
