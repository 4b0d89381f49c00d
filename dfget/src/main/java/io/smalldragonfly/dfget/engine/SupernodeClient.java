package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PieceErrorReport;
import io.smalldragonfly.common.protocol.PieceSuccessReport;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.RegisterRequest;
import io.smalldragonfly.common.protocol.ServiceDownReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/**
 * The supernode API as dfget calls it (PROTOCOL.md, "Endpoints"): JSON registration, then GETs with
 * the query parameters in the original client's order. Transport failures and non-200 HTTP answers
 * are {@link IOException}s (try another supernode); in-band result codes come back in the envelope.
 */
public final class SupernodeClient {

    private final SupernodeAddress node;
    private final Http http;

    public SupernodeClient(SupernodeAddress node) {
        this(node, Http.plain());
    }

    SupernodeClient(SupernodeAddress node, Http http) {
        this.node = node;
        this.http = http;
    }

    public SupernodeAddress node() {
        return node;
    }

    public ApiResponse register(RegisterRequest request) throws IOException {
        return call("POST", "/peer/registry", Json.write(request));
    }

    public ApiResponse poll(PeerTaskRequest request) throws IOException {
        return call("GET", "/peer/task?" + request.toQuery(), null);
    }

    public ApiResponse reportSuccess(PieceSuccessReport report) throws IOException {
        return call("GET", "/peer/piece/suc?" + report.toQuery(), null);
    }

    public ApiResponse reportError(PieceErrorReport report) throws IOException {
        return call("GET", "/peer/piece/error?" + report.toQuery(), null);
    }

    public ApiResponse serviceDown(ServiceDownReport report) throws IOException {
        return call("GET", "/peer/service/down?" + report.toQuery(), null);
    }

    /**
     * The supernode answered 404 with code 502: it does not know the task or this peer (it was
     * restarted, or evicted the task). Registering again there resumes the download.
     */
    public static final class ForgottenException extends IOException {
        ForgottenException(String message) {
            super(message);
        }
    }

    /** Whether a 404's body is the protocol's "target not found" (502), not some other server's 404. */
    private static boolean forgot(HttpURLConnection c) {
        try (InputStream in = c.getErrorStream()) {
            if (in == null) {
                return false;
            }
            ApiResponse r = Json.read(in.readNBytes(64 * 1024), ApiResponse.class);
            return r.code() == io.smalldragonfly.common.protocol.ResultCode.TARGET_NOT_FOUND.code();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private ApiResponse call(String method, String pathAndQuery, byte[] body) throws IOException {
        URL url = new URL("http", node.host(), node.port(), pathAndQuery);
        HttpURLConnection c = http.open(url, 3000, 15000);
        try {
            c.setRequestMethod(method);
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json;charset=utf-8");
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            if (status == 404 && forgot(c)) {
                throw new ForgottenException("supernode " + node + " does not know this task or peer (restarted?)");
            }
            if (status != 200) {
                Http.drainQuietly(c);
                throw new IOException("supernode " + node + ": HTTP " + status + " for " + method + " "
                        + pathAndQuery.replaceAll("\\?.*", ""));
            }
            byte[] bytes;
            try (InputStream in = c.getInputStream()) {
                bytes = in.readNBytes(4 * 1024 * 1024);
            }
            try {
                return Json.read(bytes, ApiResponse.class);
            } catch (ProtocolException e) {
                throw new IOException("supernode " + node + ": " + e.getMessage(), e);
            }
        } catch (IOException e) {
            c.disconnect();
            throw e;
        }
    }
}
