package io.smalldragonfly.supernode.task;

import java.util.List;

/**
 * What a registration told us about a task: the URL the CDN fetches and the headers it uses.
 * Headers may carry credentials, so they are never shown by {@code /tasks/{id}}.
 */
public record TaskInfo(String taskId, String taskUrl, String rawUrl, String md5, String identifier,
                       List<String> headers, long createdAt) {
    public TaskInfo {
        headers = List.copyOf(headers);
    }
}
