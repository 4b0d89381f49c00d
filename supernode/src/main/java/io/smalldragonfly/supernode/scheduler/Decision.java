package io.smalldragonfly.supernode.scheduler;

import io.smalldragonfly.common.protocol.PieceTask;
import io.smalldragonfly.common.protocol.ResultCode;
import io.smalldragonfly.common.protocol.TaskFinish;
import java.util.List;

/** The scheduler's answer to one {@code /peer/task} poll; the API maps it to 601 / 600 / 602 / an error code. */
public sealed interface Decision {

    /** 601: fetch these pieces. {@code repeated} when they are all pieces the peer was already given. */
    record Pieces(List<PieceTask> pieces, boolean repeated) implements Decision {
        public Pieces {
            pieces = List.copyOf(pieces);
        }
    }

    /** 600: the peer holds every piece. */
    record Finished(TaskFinish finish) implements Decision {}

    /** 602: nothing to fetch right now; {@code reason} says why (it goes to the client as {@code msg}). */
    record Wait(String reason) implements Decision {}

    /** The task cannot be served (CDN failed): an error code with a message. */
    record Failed(ResultCode code, String reason) implements Decision {}
}
