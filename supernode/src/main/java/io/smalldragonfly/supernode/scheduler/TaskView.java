package io.smalldragonfly.supernode.scheduler;

import java.util.List;

/** A snapshot of one task's scheduling state, for {@code /tasks/{id}}. */
public record TaskView(String taskId, int pieceSize, CdnState cdnState, int cdnPieces, int pieceCount,
                       long framedLength, String md5, List<PeerView> peers) {

    public record PeerView(String cid, String ip, int port, int pieces, int downloading, int uploading,
                           boolean down, boolean demoted) {}
}
