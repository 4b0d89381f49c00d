package io.smalldragonfly.supernode.scheduler;

/** Where the CDN copy of a task stands, as the scheduler sees it. */
public enum CdnState {
    /** Fetching from the source; pieces appear as they are written. */
    RUNNING,
    /** Every piece is cached; the piece count, framed length and md5 are known. */
    SUCCESS,
    /** The fetch failed; peers are told to go elsewhere. */
    FAILED
}
