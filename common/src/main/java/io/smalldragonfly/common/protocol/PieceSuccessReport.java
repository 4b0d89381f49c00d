package io.smalldragonfly.common.protocol;

import io.smalldragonfly.common.piece.PieceRange;
import java.util.LinkedHashMap;
import java.util.Map;

/** Query of {@code GET /peer/piece/suc}: {@code cid} now holds {@code pieceRange}, got from {@code dstCid}. */
public record PieceSuccessReport(String taskId, String cid, String dstCid, String pieceRange) {

    public static PieceSuccessReport from(QueryParams q) {
        PieceSuccessReport r = new PieceSuccessReport(
                q.required("taskId", "a task id"),
                q.required("cid", "the reporting client id"),
                q.optional("dstCid") == null ? "" : q.optional("dstCid"),
                q.required("pieceRange", "a piece range start-end"));
        r.range(); // validate early
        return r;
    }

    public PieceRange range() {
        return PieceRange.parse(pieceRange);
    }

    public String toQuery() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("taskId", taskId);
        m.put("cid", cid);
        m.put("dstCid", dstCid);
        m.put("pieceRange", pieceRange);
        return QueryParams.encode(m);
    }
}
