package io.smalldragonfly.supernode.cdn;

import io.smalldragonfly.common.task.TaskId;
import io.smalldragonfly.supernode.cdn.CdnManager.Prepared;
import io.smalldragonfly.supernode.cdn.CdnManager.State;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task in the CDN: its state, its cache metadata and what is being served of it. Every field
 * is guarded by the task's monitor, held only for bookkeeping. Its state changes only through
 * {@link #moveTo}, which {@link CdnManager} drives.
 */
final class CdnTask {

    private static final Logger log = LoggerFactory.getLogger(CdnTask.class);

    final TaskId id;
    private State state = State.COLD;
    /** The cache's metadata as far as pieces have landed; null while nothing is cached. */
    CacheMeta meta;
    /** The registration answer every caller shares; null while COLD or FAILED. */
    CompletableFuture<Prepared> ready;
    /** Open {@link PieceFile}s: while above 0 the task is never evicted. */
    int serving;
    /** Epoch millis ({@link CdnClock#epochMillis}) of the last registration or piece served. */
    long lastAccessMillis;
    final BitSet written = new BitSet();
    /** End of the framed file as far as pieces are written. */
    long fileEnd;

    CdnTask(TaskId id) {
        this.id = id;
    }

    synchronized State state() {
        return state;
    }

    /**
     * The one place a task's state changes: the move is logged (debug) and one the state machine
     * does not have is refused.
     *
     * @throws IllegalStateException when {@code to} cannot follow the current state
     */
    synchronized void moveTo(State to, String why) {
        if (!state.canMoveTo(to)) {
            throw new IllegalStateException("cdn: task " + id + " cannot go from " + state + " to " + to
                    + " (" + why + ")");
        }
        log.debug("cdn: task {} {} -> {} ({})", id, state, to, why);
        state = to;
    }

    /** Being fetched or probed: never evicted. */
    synchronized boolean working() {
        return state == State.PROBING || state == State.RUNNING;
    }

    synchronized void markWritten(int n, long end) {
        written.set(n);
        fileEnd = Math.max(fileEnd, end);
    }
}
