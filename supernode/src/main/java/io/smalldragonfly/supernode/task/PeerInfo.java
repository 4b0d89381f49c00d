package io.smalldragonfly.supernode.task;

/** A registered peer as {@code /peers} shows it. */
public record PeerInfo(String cid, String ip, String hostName, int port, String version, long registeredAt) {}
