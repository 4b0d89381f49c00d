package io.smalldragonfly.common.protocol;

import java.util.List;

/**
 * Body of {@code POST /peer/registry}: a peer asks for a task and offers to serve it.
 * Field names are the original's; 1.x added {@code insecure} and {@code rootCAs}.
 *
 * @param cid        the client id, {@code <ip>-<pid>-<epoch seconds>} in the original
 * @param port       the peer's upload server port
 * @param path       where the peer serves this task, {@code /peer/file/<taskFileName>}
 * @param rawUrl     the URL as the user gave it
 * @param taskUrl    {@code rawUrl} without the {@code --filter} query keys; the task id derives from it
 * @param headers    request headers for the source, each {@code "Name: value"}
 */
public record RegisterRequest(
        String cid,
        String ip,
        String hostName,
        String superNodeIp,
        int port,
        String path,
        String callSystem,
        String version,
        boolean dfdaemon,
        String rawUrl,
        String taskUrl,
        String md5,
        String identifier,
        List<String> headers,
        boolean insecure,
        List<String> rootCAs) {

    public RegisterRequest {
        headers = headers == null ? List.of() : List.copyOf(headers);
        rootCAs = rootCAs == null ? List.of() : List.copyOf(rootCAs);
    }
}
