package io.smalldragonfly.supernode.task;

import io.smalldragonfly.common.protocol.PreheatRequest;
import io.smalldragonfly.common.protocol.ProtocolException;
import io.smalldragonfly.common.protocol.RegisterRequest;
import io.smalldragonfly.common.protocol.RegisterResult;
import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.common.task.UrlFilter;
import io.smalldragonfly.supernode.cdn.CdnManager;
import io.smalldragonfly.supernode.cdn.SourceClient;
import io.smalldragonfly.supernode.scheduler.CdnState;
import io.smalldragonfly.supernode.scheduler.PeerRef;
import io.smalldragonfly.supernode.scheduler.Scheduler;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Registration and preheat: validates what a peer sends, derives the task id as the original does,
 * has the CDN prepare the task (one probe and one fetch however many peers register at once) and
 * enters the peer into the task's schedule.
 */
public final class TaskManager {

    private static final Pattern MD5 = Pattern.compile("[0-9a-fA-F]{32}");
    private static final int MAX_FIELD = 4096;

    private final CdnManager cdn;
    private final Scheduler scheduler;
    private final Map<String, TaskInfo> tasks = new ConcurrentHashMap<>();
    private final Map<String, PeerInfo> peers = new ConcurrentHashMap<>();
    private final Map<String, Preheat> preheats = new ConcurrentHashMap<>();

    public TaskManager(CdnManager cdn, Scheduler scheduler) {
        this.cdn = cdn;
        this.scheduler = scheduler;
    }

    /** {@code POST /peer/registry}: completes with the task's id, length and piece size, or a SourceException. */
    public CompletableFuture<RegisterResult> register(RegisterRequest r) {
        String cid = requireText("cid", r.cid(), "the client id, e.g. <ip>-<pid>-<time>");
        String ip = requireText("ip", r.ip(), "the peer's IP address");
        if (!ip.matches("[0-9A-Fa-f.:]+")) {
            throw new ProtocolException("ip: '" + ip + "' (expected an IPv4 or IPv6 address)");
        }
        if (r.port() < 1 || r.port() > 65535) {
            throw new ProtocolException("port: " + r.port() + " (expected the peer's upload port, 1..65535)");
        }
        String path = requireText("path", r.path(), "the peer's path for this task, /peer/file/<name>");
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            throw new ProtocolException("path: '" + path + "' (expected an absolute path such as /peer/file/<name>)");
        }
        String rawUrl = r.rawUrl() == null || r.rawUrl().isBlank() ? r.taskUrl() : r.rawUrl();
        String taskUrl = r.taskUrl() == null || r.taskUrl().isBlank() ? rawUrl : r.taskUrl();
        if (rawUrl == null || rawUrl.isBlank()) {
            throw new ProtocolException("rawUrl: missing (expected the http:// or https:// URL to download)");
        }
        checkLength("rawUrl", rawUrl);
        checkLength("taskUrl", taskUrl);
        URI uri = UrlFilter.requireHttpUrl(rawUrl);
        UrlFilter.requireHttpUrl(taskUrl);
        String md5 = emptyToNull(r.md5());
        if (md5 != null && !MD5.matcher(md5).matches()) {
            throw new ProtocolException("md5: '" + md5 + "' (expected 32 hex characters)");
        }
        String identifier = emptyToNull(r.identifier());
        if (identifier != null) {
            checkLength("identifier", identifier);
        }
        List<String[]> headers = SourceClient.parseHeaders(r.headers());
        TaskId id = TaskId.compute(taskUrl, md5, identifier);
        CdnManager.TaskSpec spec = new CdnManager.TaskSpec(id, uri, headers, md5);
        PeerRef ref = new PeerRef(cid, ip, r.port(), path);
        PeerInfo info = new PeerInfo(cid, ip, r.hostName(), r.port(), r.version(), System.currentTimeMillis());
        return cdn.prepare(spec).thenApply(p -> {
            tasks.putIfAbsent(id.value(), new TaskInfo(id.value(), taskUrl, rawUrl, md5, identifier, r.headers(),
                    System.currentTimeMillis()));
            scheduler.addPeer(id.value(), ref);
            peers.put(cid, info);
            return new RegisterResult(id.value(), p.fileLength(), p.pieceSize(), "supernode");
        });
    }

    /** {@code POST /preheats}: starts caching a URL; the preheat's status follows the CDN. */
    public Preheat preheat(PreheatRequest req) {
        String url = requireText("url", req.url(), "the http:// or https:// URL to cache");
        checkLength("url", url);
        URI uri = UrlFilter.requireHttpUrl(url);
        if (req.type() != null && !req.type().isEmpty() && !req.type().equals("file") && !req.type().equals("image")) {
            throw new ProtocolException("type: '" + req.type() + "' (expected file or image)");
        }
        String taskUrl = UrlFilter.parse(req.filter()).apply(url);
        List<String> headerLines = new ArrayList<>();
        req.headers().forEach((k, v) -> headerLines.add(k + ": " + v));
        List<String[]> headers = SourceClient.parseHeaders(headerLines);
        TaskId id = TaskId.compute(taskUrl, null, emptyToNull(req.identifier()));
        String pid = UUID.randomUUID().toString();
        long start = System.currentTimeMillis();
        Preheat p = new Preheat(pid, url, id.value(), "RUNNING", null, start, 0);
        preheats.put(pid, p);
        cdn.prepare(new CdnManager.TaskSpec(id, uri, headers, null)).whenComplete((ok, err) -> {
            if (err != null) {
                Throwable t = err.getCause() != null ? err.getCause() : err;
                preheats.computeIfPresent(pid, (k, v) -> new Preheat(pid, url, id.value(), "FAILED",
                        t.getMessage(), start, System.currentTimeMillis()));
            } else {
                tasks.putIfAbsent(id.value(), new TaskInfo(id.value(), taskUrl, url, null, req.identifier(),
                        headerLines, start));
            }
        });
        return p;
    }

    /** The preheat with its status brought up to date from the CDN. */
    public Optional<Preheat> preheat(String id) {
        Preheat p = preheats.get(id);
        if (p == null) {
            return Optional.empty();
        }
        if (!p.status().equals("RUNNING")) {
            return Optional.of(p);
        }
        Optional<CdnState> s = scheduler.cdnState(p.taskId());
        if (s.isPresent() && s.get() != CdnState.RUNNING) {
            Preheat done = new Preheat(p.id(), p.url(), p.taskId(), s.get().name(),
                    s.get() == CdnState.FAILED ? "the CDN failed to fetch the source" : null, p.startTime(),
                    System.currentTimeMillis());
            preheats.put(id, done);
            return Optional.of(done);
        }
        return Optional.of(p);
    }

    public List<Preheat> preheats() {
        List<Preheat> out = new ArrayList<>();
        for (String id : preheats.keySet()) {
            preheat(id).ifPresent(out::add);
        }
        return out;
    }

    public boolean deletePreheat(String id) {
        return preheats.remove(id) != null;
    }

    public Optional<TaskInfo> task(String taskId) {
        return Optional.ofNullable(tasks.get(taskId));
    }

    public Collection<PeerInfo> peers() {
        return peers.values();
    }

    public Optional<PeerInfo> peer(String cid) {
        return Optional.ofNullable(peers.get(cid));
    }

    /** Forgets what the scheduler forgot (evicted tasks, peers in no task). */
    public void sweep() {
        tasks.keySet().removeIf(id -> !scheduler.hasTask(id));
        peers.keySet().removeIf(cid -> !scheduler.knowsPeer(cid));
    }

    /** Task ids whose URL is one of {@code urls} (for {@code /peer/network}). */
    public List<String> tasksFor(Collection<String> urls) {
        List<String> out = new ArrayList<>();
        tasks.values().forEach(t -> {
            if (urls.contains(t.taskUrl()) || urls.contains(t.rawUrl())) {
                out.add(t.taskId());
            }
        });
        return out;
    }

    private static String requireText(String name, String v, String expected) {
        if (v == null || v.isBlank()) {
            throw new ProtocolException(name + ": missing (expected " + expected + ")");
        }
        checkLength(name, v);
        return v;
    }

    private static void checkLength(String name, String v) {
        if (v.length() > MAX_FIELD) {
            throw new ProtocolException(name + ": " + v.length() + " characters (expected at most " + MAX_FIELD + ")");
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
