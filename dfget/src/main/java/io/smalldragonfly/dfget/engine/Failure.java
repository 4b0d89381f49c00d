package io.smalldragonfly.dfget.engine;

/** Why a download failed; the CLI maps each to its exit code. */
public enum Failure {
    /** No supernode answered and back-to-source was not allowed. */
    NO_SUPERNODE,
    /** The source (or the supernode on its behalf) refused or broke the transfer. */
    SOURCE_ERROR,
    /** The finished file's length or digest differs from what was expected. */
    DIGEST_MISMATCH,
    /** The overall timeout passed. */
    TIMEOUT,
    /** The caller cancelled. */
    CANCELLED,
    /** Local trouble: the output cannot be written, another dfget holds the same temp file, ... */
    LOCAL_ERROR
}
