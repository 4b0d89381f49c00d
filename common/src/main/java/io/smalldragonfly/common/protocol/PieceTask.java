package io.smalldragonfly.common.protocol;

/**
 * One entry of a 601 answer: fetch this piece from this holder.
 *
 * @param range       the piece's wire range, {@code start-end}, always a whole {@code pieceSize} span
 * @param pieceMd5    md5 of the framed piece, then {@code ':'} and its framed length
 * @param cid         the holder; the CDN is {@code cdnnode:<ip>~<taskId>}
 * @param downLink    the rate the client may use, in KB/s
 * @param pieceSha256 our extra: sha256 of the framed piece; old clients ignore it
 */
public record PieceTask(
        String range,
        int pieceNum,
        int pieceSize,
        String pieceMd5,
        String cid,
        String peerIp,
        int peerPort,
        String path,
        int downLink,
        String pieceSha256) {

    public PieceTask(String range, int pieceNum, int pieceSize, String pieceMd5, String cid,
                     String peerIp, int peerPort, String path, int downLink) {
        this(range, pieceNum, pieceSize, pieceMd5, cid, peerIp, peerPort, path, downLink, null);
    }

    /** The md5 part of {@link #pieceMd5}. */
    public String md5() {
        int colon = pieceMd5 == null ? -1 : pieceMd5.indexOf(':');
        return colon < 0 ? pieceMd5 : pieceMd5.substring(0, colon);
    }

    /** The framed length part of {@link #pieceMd5}, or -1 when absent. */
    public long framedLength() {
        int colon = pieceMd5 == null ? -1 : pieceMd5.indexOf(':');
        if (colon < 0) {
            return -1;
        }
        try {
            return Long.parseLong(pieceMd5.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ProtocolException("pieceMd5: '" + pieceMd5 + "' (expected <md5>:<length>)");
        }
    }

    /** Whether the holder is a supernode CDN rather than a peer. */
    public boolean fromSupernode() {
        return cid != null && cid.startsWith(CdnNode.CID_PREFIX);
    }
}
