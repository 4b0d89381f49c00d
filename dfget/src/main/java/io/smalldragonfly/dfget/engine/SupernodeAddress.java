package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.cluster.NodeOrder;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of {@code --node}: {@code host[:port][=weight]}. The port defaults to the supernode's
 * API port 8002 and the weight to 1; a node of weight 2 is first for twice as many tasks
 * ({@link #orderFor}).
 */
public record SupernodeAddress(String host, int port, int weight) {

    public static final int DEFAULT_PORT = 8002;

    public SupernodeAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("node: empty host (expected host[:port][=weight])");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("node: port " + port + " (expected 1..65535)");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("node: weight " + weight + " (expected >= 1)");
        }
    }

    public static SupernodeAddress of(String host, int port) {
        return new SupernodeAddress(host, port, 1);
    }

    /** Parses {@code host[:port][=weight]}. */
    public static SupernodeAddress parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        int weight = 1;
        int eq = s.indexOf('=');
        if (eq >= 0) {
            weight = number(s.substring(eq + 1), spec, "weight");
            s = s.substring(0, eq);
        }
        int port = DEFAULT_PORT;
        int colon = s.lastIndexOf(':');
        if (colon >= 0 && s.indexOf(':') == colon) {
            port = number(s.substring(colon + 1), spec, "port");
            s = s.substring(0, colon);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("node: '" + spec + "' has no host (expected host[:port][=weight])");
        }
        return new SupernodeAddress(s, port, weight);
    }

    /** Parses a comma-separated list. */
    public static List<SupernodeAddress> parseList(List<String> specs) {
        List<SupernodeAddress> out = new ArrayList<>();
        if (specs != null) {
            for (String spec : specs) {
                for (String one : spec.split(",")) {
                    if (!one.isBlank()) {
                        out.add(parse(one));
                    }
                }
            }
        }
        return out;
    }

    private static int number(String s, String spec, String what) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("node: '" + spec + "' has a bad " + what
                    + " (expected host[:port][=weight] with numbers)");
        }
    }

    /**
     * The order in which a peer of {@code taskId} tries {@code nodes}: weighted rendezvous hashing
     * ({@link NodeOrder}, docs/cluster.md), the same in every binary, so all peers of a task meet at
     * the same supernode and fail over to the same next one.
     */
    public static List<SupernodeAddress> orderFor(String taskId, List<SupernodeAddress> nodes) {
        return NodeOrder.order(taskId, nodes, a -> NodeOrder.key(a.host(), a.port()), SupernodeAddress::weight);
    }

    /**
     * This host's address that routes to the first of {@code nodes} (a connected UDP socket: no
     * packet is sent), as the address other peers reach this one at; 127.0.0.1 when there is no
     * node, no route, or only an IPv6 one.
     */
    public static String routeIp(List<SupernodeAddress> nodes) {
        if (nodes.isEmpty()) {
            return "127.0.0.1";
        }
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(new InetSocketAddress(nodes.get(0).host(), nodes.get(0).port()));
            String a = s.getLocalAddress().getHostAddress();
            return a.equals("0.0.0.0") || a.contains(":") ? "127.0.0.1" : a;
        } catch (IOException | RuntimeException e) {
            return "127.0.0.1";
        }
    }

    public String hostPort() {
        return host + ":" + port;
    }

    @Override
    public String toString() {
        return hostPort();
    }
}
