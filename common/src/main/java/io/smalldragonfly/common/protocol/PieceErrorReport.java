package io.smalldragonfly.common.protocol;

import io.smalldragonfly.common.piece.PieceRange;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Query of {@code GET /peer/piece/error}: {@code srcCid} could not get {@code range} from {@code dstCid}.
 */
public record PieceErrorReport(String taskId, String range, String srcCid, String dstCid, String dstIp,
                               String realMd5, String expectedMd5, PieceErrorType errorType) {

    public static PieceErrorReport from(QueryParams q) {
        PieceErrorReport r = new PieceErrorReport(
                q.required("taskId", "a task id"),
                q.required("range", "a piece range start-end"),
                q.required("srcCid", "the reporting client id"),
                q.required("dstCid", "the holder's cid"),
                q.optional("dstIp"),
                q.optional("realMd5"),
                q.optional("expectedMd5"),
                PieceErrorType.parse(q.required("errorType", "FILE_NOT_EXIST or FILE_MD5_NOT_MATCH")));
        PieceRange.parse(r.range);
        return r;
    }

    public String toQuery() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("taskId", taskId);
        m.put("range", range);
        m.put("srcCid", srcCid);
        m.put("dstCid", dstCid);
        m.put("dstIp", dstIp);
        m.put("realMd5", realMd5);
        m.put("expectedMd5", expectedMd5);
        m.put("errorType", errorType.name());
        return QueryParams.encode(m);
    }
}
