package io.smalldragonfly.supernode.task;

/** One preheat as {@code GET /preheats} shows it; {@code status} is WAITING, RUNNING, SUCCESS or FAILED. */
public record Preheat(String id, String url, String taskId, String status, String message, long startTime,
                      long finishTime) {}
