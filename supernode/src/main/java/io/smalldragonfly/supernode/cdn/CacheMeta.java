package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.supernode.scheduler.PieceInfo;
import java.util.List;

/**
 * The metadata file beside a cached task's data ({@code <taskId>.meta.json}): enough to serve the
 * pieces after a restart, revalidate them against the source, or resume a partial fetch.
 *
 * @param contentLength the source's length, -1 while unknown
 * @param pieces        the pieces written so far, in order (a partial cache is a prefix)
 * @param complete      every piece is written and {@code md5} is the content's md5
 * @param lastAccess    epoch millis of the last registration or piece served (for LRU eviction)
 */
public record CacheMeta(String taskId, String url, long contentLength, int pieceSize, String etag,
                        String lastModified, boolean acceptRanges, List<PieceInfo> pieces, boolean complete,
                        String md5, long lastAccess) {

    public CacheMeta {
        pieces = pieces == null ? List.of() : List.copyOf(pieces);
    }

    CacheMeta withPieces(List<PieceInfo> p, boolean done, String contentMd5, long length) {
        return new CacheMeta(taskId, url, length, pieceSize, etag, lastModified, acceptRanges, p, done,
                contentMd5, lastAccess);
    }

    CacheMeta touched(long now) {
        return new CacheMeta(taskId, url, contentLength, pieceSize, etag, lastModified, acceptRanges, pieces,
                complete, md5, now);
    }
}
