package io.smalldragonfly.common.protocol;

import io.smalldragonfly.common.piece.PieceRange;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Query of {@code GET /peer/task}: "what should I fetch next?", carrying the piece just finished.
 * On the first poll {@code dstCid} and {@code range} are empty and status/result are 700/502.
 *
 * @param srcCid the asking client
 * @param dstCid the holder the finished piece came from, or empty
 * @param range  the finished piece's wire range, or empty
 */
public record PeerTaskRequest(String srcCid, String dstCid, String taskId, String range,
                              PeerTaskStatus status, PieceResult result) {

    public PeerTaskRequest {
        dstCid = dstCid == null ? "" : dstCid;
        range = range == null ? "" : range;
    }

    public static PeerTaskRequest first(String srcCid, String taskId) {
        return new PeerTaskRequest(srcCid, "", taskId, "", PeerTaskStatus.START, PieceResult.INVALID);
    }

    public static PeerTaskRequest from(QueryParams q) {
        return new PeerTaskRequest(
                q.required("srcCid", "the client id"),
                q.optional("dstCid"),
                q.required("taskId", "a task id from /peer/registry"),
                q.optional("range"),
                PeerTaskStatus.of(q.requiredInt("status", "700, 701 or 702")),
                PieceResult.of(q.requiredInt("result", "500, 501, 502 or 503")));
    }

    /** The query string in the original client's parameter order. */
    public String toQuery() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("srcCid", srcCid);
        m.put("dstCid", dstCid);
        m.put("range", range);
        m.put("result", result.code());
        m.put("status", status.code());
        m.put("taskId", taskId);
        return QueryParams.encode(m);
    }

    /** The finished piece's range, or null on a first poll. */
    public PieceRange finishedRange() {
        return range.isEmpty() ? null : PieceRange.parse(range);
    }
}
