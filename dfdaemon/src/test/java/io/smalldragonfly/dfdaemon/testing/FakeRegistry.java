package io.smalldragonfly.dfdaemon.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.smalldragonfly.common.util.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * A registry for tests on 127.0.0.1 (JDK HttpServer, HTTP or HTTPS): {@code /v2/}, manifests by
 * tag and digest, blobs with real sha256 digests, tag lists, an optional Bearer token flow (401 +
 * {@code WWW-Authenticate}, {@code /token} behind Basic auth), optional redirects of blob GETs to
 * a pre-signed "storage" URL, and a generated blob of any size streamed without buffering (also at
 * {@code /generated}, a path that is not a blob's). Every
 * request is recorded with its headers.
 */
public final class FakeRegistry implements AutoCloseable {

    public static final String USER = "alice";
    public static final String PASSWORD = "s3cr3t-Pa55word";
    public static final String TOKEN = "tok3n-ABCDEF-0123456789";
    public static final String MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String NAME = "library/hello";

    private static final Pattern BLOB = Pattern.compile("^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$");
    private static final Pattern MANIFEST = Pattern.compile("^/v2/(.+)/manifests/([^/]+)$");
    private static final Pattern TAGS = Pattern.compile("^/v2/(.+)/tags/list$");

    /** One request as the registry saw it. */
    public record Seen(String method, String path, String query, Map<String, List<String>> headers) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : String.join(", ", v);
        }
    }

    private final HttpServer server;
    private final HttpServer storage;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicLong generatedBytesWritten = new AtomicLong();
    private volatile boolean requireAuth;
    private volatile boolean redirectBlobs;
    private volatile String generatedDigest;
    private volatile long generatedLength;
    public final byte[] config;
    public final byte[] layer1;
    public final byte[] layer2;
    public final byte[] manifest;
    public final String manifestDigest;

    private FakeRegistry(HttpServer server) {
        this.server = server;
        Random r = new Random(42);
        config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}".getBytes(StandardCharsets.UTF_8);
        layer1 = new byte[300_000];
        layer2 = new byte[2_500_000];
        r.nextBytes(layer1);
        r.nextBytes(layer2);
        for (byte[] b : List.of(config, layer1, layer2)) {
            blobs.put(digest(b), b);
        }
        manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.docker.container.image.v1+json\",\"size\":" + config.length + ",\"digest\":\""
                + digest(config) + "\"},\"layers\":[" + layer(layer1) + "," + layer(layer2) + "]}")
                .getBytes(StandardCharsets.UTF_8);
        manifestDigest = digest(manifest);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        try {
            // "storage" (pre-signed blob URLs) is another endpoint, as S3 or a CDN behind a registry
            storage = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        storage.createContext("/", this::handle);
        storage.setExecutor(executor);
        storage.start();
    }

    private static String layer(byte[] b) {
        return "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":" + b.length
                + ",\"digest\":\"" + digest(b) + "\"}";
    }

    public static String digest(byte[] b) {
        return "sha256:" + Digests.sha256Hex(b);
    }

    public static FakeRegistry http() throws IOException {
        return new FakeRegistry(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64));
    }

    public static FakeRegistry https(SSLContext tls) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        s.setHttpsConfigurator(new HttpsConfigurator(tls));
        return new FakeRegistry(s);
    }

    public FakeRegistry requireAuth(boolean on) {
        requireAuth = on;
        return this;
    }

    public FakeRegistry redirectBlobs(boolean on) {
        redirectBlobs = on;
        return this;
    }

    /** Serves {@code wrong} (same length) under {@code digest}. */
    public FakeRegistry corrupt(String digest, byte[] wrong) {
        corrupt.put(digest, wrong);
        return this;
    }

    /** A blob of {@code length} pseudo-random bytes generated while sent; returns its digest. */
    public String generated(long length) {
        generatedLength = length;
        generatedDigest = "sha256:" + Digests.hex(Generated.sha256(length));
        return generatedDigest;
    }

    public long generatedBytesWritten() {
        return generatedBytesWritten.get();
    }

    public URI uri() {
        return URI.create((server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** The latest request whose path starts with {@code pathPrefix}. */
    public Seen last(String pathPrefix) {
        List<Seen> s = seen(pathPrefix);
        if (s.isEmpty()) {
            throw new AssertionError("the registry saw no request for " + pathPrefix);
        }
        return s.get(s.size() - 1);
    }

    public List<Seen> seen(String pathPrefix) {
        return seen.stream().filter(s -> s.path().startsWith(pathPrefix)).toList();
    }

    public static String basicAuth() {
        return "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            Map<String, List<String>> h = new java.util.HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            seen.add(new Seen(ex.getRequestMethod(), path, ex.getRequestURI().getRawQuery(), Map.copyOf(h)));
            ex.getResponseHeaders().add("Connection", "X-Registry-Private");
            ex.getResponseHeaders().add("X-Registry-Private", "hop");
            ex.getResponseHeaders().add("Keep-Alive", "timeout=5");
            ex.getResponseHeaders().set("Docker-Distribution-Api-Version", "registry/2.0");
            if (path.equals("/token")) {
                token(ex);
                return;
            }
            if (path.equals("/generated") && generatedDigest != null) {
                serveBlob(ex, generatedDigest);
                return;
            }
            if (path.startsWith("/storage/")) {
                storage(ex, path.substring("/storage/".length()));
                return;
            }
            if (requireAuth && !("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + uri() + "/token\",service=\"fake\"");
                send(ex, 401, "application/json", "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (path.equals("/v2/") || path.equals("/v2")) {
                send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Matcher m;
            if ((m = BLOB.matcher(path)).matches()) {
                blob(ex, m.group(2));
            } else if ((m = MANIFEST.matcher(path)).matches() && m.group(1).equals(NAME)) {
                String ref = m.group(2);
                if (!ref.equals("v1") && !ref.equals(manifestDigest)) {
                    send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                ex.getResponseHeaders().set("Docker-Content-Digest", manifestDigest);
                ex.getResponseHeaders().set("X-Seen-Accept", String.valueOf(ex.getRequestHeaders().getFirst("Accept")));
                send(ex, 200, MANIFEST_TYPE, manifest);
            } else if ((m = TAGS.matcher(path)).matches()) {
                send(ex, 200, "application/json", ("{\"name\":\"" + m.group(1) + "\",\"tags\":[\"v1\"]}").getBytes(StandardCharsets.UTF_8));
            } else {
                send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private void token(HttpExchange ex) throws IOException {
        if (!basicAuth().equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake\"");
            send(ex, 401, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(ex, 200, "application/json", ("{\"token\":\"" + TOKEN + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private void blob(HttpExchange ex, String digest) throws IOException {
        if (redirectBlobs && ex.getRequestMethod().equals("GET")) {
            ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + "/storage/" + digest + "?Signature=sig-" + System.nanoTime()
                    + "&Expires=9999999999");
            send(ex, 307, "text/plain", new byte[0]);
            return;
        }
        serveBlob(ex, digest);
    }

    private void storage(HttpExchange ex, String digest) throws IOException {
        if (ex.getRequestHeaders().containsKey("Authorization")) {
            // as S3: a pre-signed URL plus an Authorization header is one auth mechanism too many
            send(ex, 400, "text/plain", "only one auth mechanism allowed".getBytes(StandardCharsets.UTF_8));
            return;
        }
        serveBlob(ex, digest);
    }

    private void serveBlob(HttpExchange ex, String digest) throws IOException {
        Headers rh = ex.getResponseHeaders();
        if (digest.equals(generatedDigest)) {
            rh.set("Content-Type", "application/octet-stream");
            rh.set("Docker-Content-Digest", digest);
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(200, head ? -1 : generatedLength);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    Generated.write(generatedLength, out, generatedBytesWritten);
                }
            }
            return;
        }
        byte[] b = corrupt.getOrDefault(digest, blobs.get(digest));
        if (b == null) {
            send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        rh.set("Docker-Content-Digest", digest);
        send(ex, 200, "application/octet-stream", b);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(body.length));
        }
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        storage.stop(0);
        executor.shutdownNow();
    }
}
