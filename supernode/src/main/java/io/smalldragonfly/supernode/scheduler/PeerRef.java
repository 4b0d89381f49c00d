package io.smalldragonfly.supernode.scheduler;

/**
 * A peer as a holder of one task: where others fetch that task's pieces from it.
 *
 * @param cid  the client id it registered with
 * @param path {@code /peer/file/<taskFileName>} on its upload server, per task
 */
public record PeerRef(String cid, String ip, int port, String path) {}
