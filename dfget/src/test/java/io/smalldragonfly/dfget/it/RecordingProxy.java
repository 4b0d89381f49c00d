package io.smalldragonfly.dfget.it;

import io.smalldragonfly.common.http.ApiServerInitializer;
import io.smalldragonfly.common.http.NettyServer;
import io.smalldragonfly.common.http.Request;
import io.smalldragonfly.common.http.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A reverse proxy in front of a supernode's API that records every request's method, path and query. */
final class RecordingProxy implements AutoCloseable {

    /** One forwarded request: {@code uri} is the path with its raw query. */
    record Call(String method, String uri, String body) {
        String path() {
            int q = uri.indexOf('?');
            return q < 0 ? uri : uri.substring(0, q);
        }
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final NettyServer server;
    private final int target;

    RecordingProxy(int targetPort) {
        this.target = targetPort;
        this.server = NettyServer.start("proxy", "127.0.0.1", 0, 1,
                new ApiServerInitializer(r -> CompletableFuture.supplyAsync(() -> forward(r), pool), 60));
    }

    int port() {
        return server.port();
    }

    List<Call> calls() {
        return calls;
    }

    long count(String path) {
        return calls.stream().filter(c -> c.path().equals(path)).count();
    }

    private Response forward(Request r) {
        String query = r.query().asMap().isEmpty() ? "" : "?" + io.smalldragonfly.common.protocol.QueryParams.encode(
                flatten(r.query().asMap()));
        calls.add(new Call(r.method(), r.path() + query, r.bodyText()));
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http", "127.0.0.1", target, r.path() + query)
                    .openConnection();
            c.setRequestMethod(r.method());
            if (r.body().length > 0) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", r.header("content-type"));
                try (OutputStream out = c.getOutputStream()) {
                    out.write(r.body());
                }
            }
            int status = c.getResponseCode();
            byte[] body;
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                body = in == null ? new byte[0] : in.readAllBytes();
            }
            return Response.of(status, c.getContentType() == null ? Response.JSON : c.getContentType(), body);
        } catch (IOException e) {
            return Response.text(502, e.toString());
        }
    }

    private static java.util.Map<String, String> flatten(java.util.Map<String, List<String>> m) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.isEmpty() ? "" : v.get(0)));
        return out;
    }

    @Override
    public void close() {
        server.close();
        pool.shutdownNow();
    }
}
