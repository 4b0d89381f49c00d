package io.smalldragonfly.supernode.scheduler;

/**
 * What the CDN knows of one stored piece: the digests of the framed bytes and their length.
 *
 * @param md5          md5 of the framed piece (header, content, trailer), lowercase hex
 * @param sha256       sha256 of the framed piece, lowercase hex
 * @param framedLength bytes of the framed piece (content + 5)
 */
public record PieceInfo(String md5, String sha256, int framedLength) {
    /** The {@code pieceMd5} of a 601 entry: {@code <md5>:<framed length>}. */
    public String wireMd5() {
        return md5 + ":" + framedLength;
    }
}
