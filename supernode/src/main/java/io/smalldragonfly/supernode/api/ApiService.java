package io.smalldragonfly.supernode.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.smalldragonfly.common.Version;
import io.smalldragonfly.common.http.ErrorMapper;
import io.smalldragonfly.common.http.HttpService;
import io.smalldragonfly.common.http.HttpStatusException;
import io.smalldragonfly.common.http.Request;
import io.smalldragonfly.common.http.Response;
import io.smalldragonfly.common.log.Timeline;
import io.smalldragonfly.common.protocol.ApiResponse;
import io.smalldragonfly.common.protocol.HeartbeatRequest;
import io.smalldragonfly.common.protocol.HeartbeatResult;
import io.smalldragonfly.common.protocol.Json;
import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.protocol.PieceErrorReport;
import io.smalldragonfly.common.protocol.PieceSuccessReport;
import io.smalldragonfly.common.protocol.PreheatRequest;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.QueryParams;
import io.smalldragonfly.common.protocol.RegisterRequest;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.protocol.ServiceDownReport;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.supernode.cdn.CdnManager;
import io.smalldragonfly.supernode.metrics.SupernodeMetrics;
import io.smalldragonfly.supernode.scheduler.Decision;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import io.smalldragonfly.supernode.scheduler.TaskView;
import io.smalldragonfly.supernode.task.Preheat;
import io.smalldragonfly.supernode.task.TaskInfo;
import io.smalldragonfly.supernode.task.TaskManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The supernode's API as one routing table ({@link #routes}) over plain services: the original's
 * {@code /peer/*} endpoints with their in-band result codes, and the 1.x extras. Errors go to the
 * {@link ErrorMapper} (a source that cannot be fetched is an in-band 607/608/604 there). Holds no Netty types; the edge
 * ({@link io.smalldragonfly.common.http.ServiceHandler}) calls {@link #serve}.
 *
 * <p>{@code GET /peer/task} never makes a client sleep needlessly: when nothing is ready it holds
 * the request (without a thread) until a piece appears or {@code waitTimeout} passes, then 602.
 */
public final class ApiService implements HttpService {

    /** Body of {@code POST /peer/network} (1.x). */
    record NetworkRequest(@JsonProperty("urls") List<String> urls) {}

    private final TaskManager tasks;
    private final Scheduler scheduler;
    private final CdnManager cdn;
    private final SupernodeMetrics metrics;
    private final long waitNanos;
    private final Map<String, Map<String, Endpoint>> routes;

    public ApiService(TaskManager tasks, Scheduler scheduler, CdnManager cdn, SupernodeMetrics metrics,
                      Duration waitTimeout) {
        this.tasks = tasks;
        this.scheduler = scheduler;
        this.cdn = cdn;
        this.metrics = metrics;
        this.waitNanos = waitTimeout.toNanos();
        this.routes = routes();
    }

    /** What answers one method on one path of the {@linkplain #routes table}; {@code id}: the {@code {id}}, or null. */
    @FunctionalInterface
    private interface Endpoint {
        CompletionStage<Response> serve(Request r, String id);
    }

    /**
     * The API: path, then method, to what answers it. A path ending in {@code /{id}} matches every
     * path that starts with what comes before it; the rest is the id. The path is also the metrics
     * label of its requests.
     */
    private Map<String, Map<String, Endpoint>> routes() {
        Map<String, Map<String, Endpoint>> t = new LinkedHashMap<>();
        route(t, "POST", "/peer/registry", (r, id) -> register(r));
        route(t, "GET", "/peer/task", (r, id) -> peerTask(r));
        route(t, "GET", "/peer/piece/suc", (r, id) -> {
            PieceSuccessReport s = PieceSuccessReport.from(r.query());
            timelineSuccess(s);
            scheduler.pieceSucceeded(taskId(s.taskId()), s.cid(), s.pieceRange());
            return done(Response.api(ApiResponse.success()));
        });
        route(t, "GET", "/peer/piece/error", (r, id) -> {
            PieceErrorReport e = PieceErrorReport.from(r.query());
            scheduler.pieceFailed(taskId(e.taskId()), e.srcCid(), e.range(), e.dstCid(), e.errorType());
            return done(Response.api(ApiResponse.success()));
        });
        route(t, "GET", "/peer/service/down", (r, id) -> {
            ServiceDownReport d = ServiceDownReport.from(r.query());
            scheduler.serviceDown(taskId(d.taskId()), d.cid());
            return done(Response.api(ApiResponse.success()));
        });
        route(t, "POST", "/peer/heartbeat", (r, id) -> done(heartbeat(r)));
        route(t, "POST", "/peer/network", (r, id) -> done(network(r)));
        route(t, "GET", "/_ping", (r, id) -> done(Response.text(200, "ok")));
        route(t, "GET", "/version", (r, id) -> done(Response.json(200, Map.of("version", Version.CURRENT,
                "protocol", "dragonfly-0.3", "name", "small-dragonfly supernode"))));
        route(t, "GET", "/metrics", (r, id) -> done(Response.of(200, SupernodeMetrics.CONTENT_TYPE, metrics.scrape())));
        route(t, "GET", "/peers", (r, id) -> done(Response.json(200, new ArrayList<>(tasks.peers()))));
        route(t, "GET", "/tasks", (r, id) -> done(Response.json(200, ownedTasks())));
        route(t, "GET", "/tasks/{id}", (r, id) -> done(task(id)));
        route(t, "POST", "/preheats", (r, id) -> done(Response.json(200,
                Map.of("ID", tasks.preheat(Json.read(r.body(), PreheatRequest.class)).id()))));
        route(t, "GET", "/preheats", (r, id) -> done(Response.json(200, tasks.preheats())));
        route(t, "GET", "/preheats/{id}", (r, id) -> done(preheat(id)));
        route(t, "DELETE", "/preheats/{id}", (r, id) -> done(deletePreheat(id)));
        return t;
    }

    private static void route(Map<String, Map<String, Endpoint>> table, String method, String path, Endpoint e) {
        table.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, e);
    }

    @Override
    public CompletionStage<Response> serve(Request r) {
        long start = System.nanoTime();
        String endpoint = endpoint(r.path());
        CompletionStage<Response> answer;
        try {
            answer = dispatch(endpoint, r);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((res, err) -> {
            Response out = err == null ? res : ErrorMapper.toResponse(err, r);
            metrics.observe(endpoint, System.nanoTime() - start);
            return out;
        });
    }

    private static final String ID = "{id}";

    /** The route of {@code path} in the table, or "other". */
    private String endpoint(String path) {
        if (routes.containsKey(path)) {
            return path;
        }
        for (String route : routes.keySet()) {
            if (route.endsWith(ID) && path.startsWith(route.substring(0, route.length() - ID.length()))) {
                return route;
            }
        }
        return "other";
    }

    private CompletionStage<Response> dispatch(String endpoint, Request r) {
        Map<String, Endpoint> methods = routes.get(endpoint);
        if (methods == null) {
            throw HttpStatusException.notFound("path: '" + r.path() + "' (expected "
                    + String.join(", ", routes.keySet()) + ")");
        }
        Endpoint e = methods.get(r.method());
        if (e == null) {
            throw HttpStatusException.of(405, "method: " + r.method() + " on " + r.path() + " (expected "
                    + String.join(" or ", methods.keySet()) + ")");
        }
        return e.serve(r, endpoint.endsWith(ID) ? r.path().substring(endpoint.length() - ID.length()) : null);
    }

    private static CompletionStage<Response> done(Response r) {
        return CompletableFuture.completedFuture(r);
    }

    private static String taskId(String id) {
        return TaskId.of(id).value();
    }

    // ---- registration ------------------------------------------------------------------------

    private CompletionStage<Response> register(Request r) {
        RegisterRequest req = parseRegistration(r);
        Timeline.event("sn_register_recv", null, req.cid());
        return tasks.register(req).thenApply(res -> {
            Timeline.event("sn_registered", res.taskId(), req.cid());
            return Response.api(ApiResponse.of(ResultCode.OK, res));
        });
    }

    static RegisterRequest parseRegistration(Request r) {
        String type = r.header("content-type") == null ? "" : r.header("content-type").toLowerCase(Locale.ROOT);
        if (type.startsWith("application/x-www-form-urlencoded")) {
            QueryParams f = QueryParams.parse(r.bodyText());
            List<String> headers = f.asMap().getOrDefault("headers", List.of());
            return new RegisterRequest(f.optional("cid"), f.optional("ip"), f.optional("hostName"),
                    f.optional("superNodeIp"), f.requiredInt("port", "the peer's upload port, 1..65535"),
                    f.optional("path"), f.optional("callSystem"), f.optional("version"),
                    Boolean.parseBoolean(f.optional("dfdaemon")), f.optional("rawUrl"), f.optional("taskUrl"),
                    f.optional("md5"), f.optional("identifier"), headers,
                    Boolean.parseBoolean(f.optional("insecure")), List.of());
        }
        if (r.body().length == 0) {
            throw new ProtocolException("body: empty (expected a JSON registration object or a form)");
        }
        return Json.read(r.body(), RegisterRequest.class);
    }

    // ---- scheduling --------------------------------------------------------------------------

    private CompletionStage<Response> peerTask(Request r) {
        PeerTaskRequest q = PeerTaskRequest.from(r.query());
        taskId(q.taskId());
        timelinePoll(q);
        Decision d = scheduler.poll(q);
        if (d instanceof Decision.Wait && waitNanos > 0) {
            return await(q.taskId(), q.srcCid(), System.nanoTime() + waitNanos);
        }
        timelineAnswer(q.taskId(), q.srcCid(), d);
        return done(toResponse(d));
    }

    /** Holds a poll until the task changes in a way that gives this peer work, or the deadline. */
    private CompletableFuture<Response> await(String taskId, String cid, long deadline) {
        CompletableFuture<Void> change = scheduler.nextChange(taskId);
        Decision d = scheduler.decide(taskId, cid);
        long remaining = deadline - System.nanoTime();
        if (!(d instanceof Decision.Wait) || remaining <= 0) {
            timelineAnswer(taskId, cid, d);
            return CompletableFuture.completedFuture(toResponse(d));
        }
        return change.completeOnTimeout(null, remaining, TimeUnit.NANOSECONDS)
                .thenCompose(v -> await(taskId, cid, deadline));
    }

    // ---- timeline events (bench/timeline.sh); nothing is built unless enabled ---------------

    private static void timelinePoll(PeerTaskRequest q) {
        if (Timeline.enabled()) {
            Timeline.event("sn_poll_recv", q.taskId(), q.srcCid(), q.range().isEmpty() ? null
                    : "range=" + q.range() + " result=" + q.result() + " holder=" + q.dstCid());
        }
    }

    private static void timelineAnswer(String taskId, String cid, Decision d) {
        if (!Timeline.enabled()) {
            return;
        }
        if (d instanceof Decision.Pieces p && p.repeated()) {
            Timeline.event("sn_poll_answer", taskId, cid, "repeated", p.pieces().size());
        } else if (d instanceof Decision.Pieces p) {
            Timeline.event("sn_poll_answer", taskId, cid, "pieces", p.pieces().size());
            p.pieces().forEach(t -> Timeline.piece("sn_assign", taskId, cid, t.pieceNum(), t.cid(), -1));
        } else if (d instanceof Decision.Wait w) {
            // the reason's last clause says why ("no new piece cached yet", "... holders are busy")
            String why = w.reason().substring(w.reason().lastIndexOf(',') + 1);
            Timeline.event("sn_poll_answer", taskId, cid, "decision=Wait why=" + why.replaceAll("\\s+", "_"));
        } else {
            Timeline.event("sn_poll_answer", taskId, cid, "decision=" + d.getClass().getSimpleName());
        }
    }

    private static void timelineSuccess(PieceSuccessReport s) {
        if (Timeline.enabled()) {
            Timeline.event("sn_success", s.taskId(), s.cid(), "range=" + s.pieceRange() + " holder=" + s.dstCid());
        }
    }

    static Response toResponse(Decision d) {
        if (d instanceof Decision.Pieces p) {
            return Response.api(ApiResponse.of(ResultCode.PEER_CONTINUE, p.pieces()));
        }
        if (d instanceof Decision.Finished f) {
            return Response.api(ApiResponse.of(ResultCode.PEER_FINISH, f.finish()));
        }
        if (d instanceof Decision.Wait w) {
            return Response.api(ApiResponse.of(ResultCode.PEER_WAIT, w.reason()));
        }
        Decision.Failed f = (Decision.Failed) d;
        return Response.api(ApiResponse.of(f.code(), f.reason()));
    }

    // ---- 1.x extras --------------------------------------------------------------------------

    private Response heartbeat(Request r) {
        HeartbeatRequest hb = Json.read(r.body(), HeartbeatRequest.class);
        if (hb.cid() == null || hb.cid().isBlank()) {
            throw new ProtocolException("cID: missing (expected the client id)");
        }
        scheduler.heartbeat(hb.cid());
        boolean known = scheduler.knowsPeer(hb.cid());
        return Response.api(ApiResponse.of(ResultCode.OK,
                new HeartbeatResult(!known, scheduler.seedTasks(hb.cid()), Version.CURRENT)));
    }

    private Response network(Request r) {
        NetworkRequest n = Json.read(r.body(), NetworkRequest.class);
        List<String> urls = n.urls() == null ? List.of() : n.urls();
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (String id : tasks.tasksFor(urls)) {
            scheduler.view(id).ifPresent(v -> v.peers().forEach(p -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("cid", p.cid());
                m.put("ip", p.ip());
                m.put("port", p.port());
                m.put("taskId", id);
                m.put("pieces", p.pieces());
                nodes.add(m);
            }));
        }
        return Response.api(ApiResponse.of(ResultCode.OK, Map.of("nodes", nodes)));
    }

    /**
     * The tasks this supernode owns: those its scheduler knows (peers registered them here, or a
     * preheat). In a cluster each task is owned by the supernode its peers' rendezvous order puts
     * first, or by the next one after a failover (docs/cluster.md).
     */
    private List<Map<String, Object>> ownedTasks() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String id : new java.util.TreeSet<>(scheduler.taskIds())) {
            scheduler.view(id).ifPresent(v -> {
                Map<String, Object> m = summary(id, v);
                m.put("peers", v.peers().size());
                out.add(m);
            });
        }
        return out;
    }

    /** The fields {@code /tasks} and {@code /tasks/{id}} share, in their order on the wire. */
    private Map<String, Object> summary(String id, TaskView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("taskId", id);
        tasks.task(id).map(TaskInfo::taskUrl).ifPresent(u -> m.put("taskUrl", u));
        m.put("cdnStatus", v.cdnState());
        m.put("cdnPieces", v.cdnPieces());
        m.put("pieceCount", v.pieceCount());
        return m;
    }

    private Response task(String id) {
        if (!TaskId.isValid(id)) {
            throw HttpStatusException.badRequest("taskId: '" + id + "' (expected 64 lowercase hex characters)");
        }
        TaskView v = scheduler.view(id).orElseThrow(() -> HttpStatusException.notFound("taskId: " + id
                + " is unknown (expected a task id from /peer/registry)"));
        Map<String, Object> m = summary(id, v);
        m.put("pieceSize", v.pieceSize());
        m.put("fileLength", v.framedLength());
        if (v.md5() != null) {
            m.put("md5", v.md5());
        }
        m.put("cachedBytes", cdn.cachedBytes(id));
        m.put("peers", v.peers());
        return Response.json(200, m);
    }

    private Response deletePreheat(String id) {
        if (!tasks.deletePreheat(id)) {
            throw HttpStatusException.notFound("preheat: '" + id + "' is unknown (expected an ID from POST /preheats)");
        }
        return Response.api(ApiResponse.success());
    }

    private Response preheat(String id) {
        Preheat p = tasks.preheat(id).orElseThrow(() -> HttpStatusException.notFound("preheat: '" + id
                + "' is unknown (expected an ID from POST /preheats)"));
        return Response.json(200, p);
    }
}
