package io.smalldragonfly.common.protocol;

/** How the supernode's CDN appears as a piece holder on the wire. */
public final class CdnNode {

    public static final String CID_PREFIX = "cdnnode:";

    private CdnNode() {}

    /** {@code cdnnode:<ip>~<taskId>}, the CDN's cid for one task. */
    public static String cid(String ip, String taskId) {
        return CID_PREFIX + ip + "~" + taskId;
    }

    /** {@code /qtdown/<first 3 chars of taskId>/<taskId>}, the CDN's path for one task. */
    public static String path(String taskId) {
        return "/qtdown/" + taskId.substring(0, 3) + "/" + taskId;
    }
}
