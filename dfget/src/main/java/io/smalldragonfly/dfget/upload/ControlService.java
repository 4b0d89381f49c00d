package io.smalldragonfly.dfget.upload;

import io.smalldragonfly.common.Version;
import io.smalldragonfly.common.http.HttpService;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.Request;
import io.smalldragonfly.common.http.Response;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.dfget.store.DataDir;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The upload server's local control paths, as the original uploader's: {@code /server/ping}
 * (who is this server: its home, pid and version, so a dfget can tell its own home's server from
 * a stranger on a reused port), {@code /check/<taskFileName>} (is this file served here) and
 * {@code /client/finish} (a download ended; counts as activity) and {@code /rate/<taskFileName>}
 * (the host-wide {@code --totallimit}: every running dfget of this home asks for its share once a
 * second and gets {@code totallimit / downloads asking}, capped by its own {@code locallimit}).
 */
final class ControlService implements HttpService {

    private final PieceStore store;
    private final String home;
    private final java.util.function.IntSupplier port;
    private final java.util.function.LongSupplier clock;
    /** Downloads that asked for a rate share, and when they last asked. */
    private final Map<String, Long> rateAsks = new java.util.concurrent.ConcurrentHashMap<>();
    static final long RATE_ASK_TTL_MILLIS = 3000;

    ControlService(PieceStore store, String home, java.util.function.IntSupplier port) {
        this(store, home, port, System::currentTimeMillis);
    }

    ControlService(PieceStore store, String home, java.util.function.IntSupplier port,
                   java.util.function.LongSupplier clock) {
        this.store = store;
        this.home = home;
        this.port = port;
        this.clock = clock;
    }

    @Override
    public CompletionStage<Response> serve(Request request) {
        String path = request.path();
        if (path.equals("/server/ping")) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("home", home);
            m.put("pid", ProcessHandle.current().pid());
            m.put("port", port.getAsInt());
            m.put("version", Version.CURRENT);
            return CompletableFuture.completedFuture(Response.json(200, m));
        }
        if (path.startsWith("/check/")) {
            String name = path.substring("/check/".length());
            if (DataDir.isSafeName(name) && Files.isRegularFile(store.dataDir().content(name))) {
                return CompletableFuture.completedFuture(Response.text(200, name));
            }
            throw HttpStatusException.notFound("file: '" + name + "' is not served here");
        }
        if (path.startsWith("/rate/")) {
            return CompletableFuture.completedFuture(Response.text(200, Long.toString(rateShare(
                    path.substring("/rate/".length()), request))));
        }
        if (path.equals("/client/finish")) {
            return CompletableFuture.completedFuture(Response.api(ApiResponse.of(ResultCode.OK, "success")));
        }
        throw HttpStatusException.notFound("path: '" + path + "' (expected /peer/file/<name>, /server/ping, /check/<name>)");
    }

    private long rateShare(String name, Request request) {
        return rateShare(name, parseRate(request, "totallimit"), parseRate(request, "locallimit"));
    }

    /**
     * The share of {@code total} bytes/s for the download {@code name}: split evenly among the
     * downloads that asked in the last {@link #RATE_ASK_TTL_MILLIS}, capped by its own {@code local}.
     * Downloads in separate processes ask over {@code /rate}, the peer process's own directly.
     */
    long rateShare(String name, long total, long local) {
        long now = clock.getAsLong();
        rateAsks.put(name, now);
        rateAsks.values().removeIf(t -> now - t > RATE_ASK_TTL_MILLIS);
        if (total == 0) {
            return local;
        }
        long share = Math.max(1, total / Math.max(1, rateAsks.size()));
        return local == 0 ? share : Math.min(local, share);
    }

    private static long parseRate(Request request, String name) {
        String v = request.query().optional(name);
        if (v == null || v.isEmpty()) {
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw HttpStatusException.badRequest(name + ": '" + v + "' (expected bytes/s, >= 0)");
        }
    }
}
