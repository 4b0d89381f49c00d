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
 * {@code /client/finish} (a download ended; counts as activity).
 */
final class ControlService implements HttpService {

    private final PieceStore store;
    private final String home;
    private final java.util.function.IntSupplier port;

    ControlService(PieceStore store, String home, java.util.function.IntSupplier port) {
        this.store = store;
        this.home = home;
        this.port = port;
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
        if (path.equals("/client/finish")) {
            return CompletableFuture.completedFuture(Response.api(ApiResponse.of(ResultCode.OK, "success")));
        }
        throw HttpStatusException.notFound("path: '" + path + "' (expected /peer/file/<name>, /server/ping, /check/<name>)");
    }
}
