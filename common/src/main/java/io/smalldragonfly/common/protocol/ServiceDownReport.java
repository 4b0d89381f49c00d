package io.smalldragonfly.common.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/** Query of {@code GET /peer/service/down}: {@code cid} stops serving {@code taskId}. */
public record ServiceDownReport(String taskId, String cid) {

    public static ServiceDownReport from(QueryParams q) {
        return new ServiceDownReport(q.required("taskId", "a task id"), q.required("cid", "the client id"));
    }

    public String toQuery() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("taskId", taskId);
        m.put("cid", cid);
        return QueryParams.encode(m);
    }
}
