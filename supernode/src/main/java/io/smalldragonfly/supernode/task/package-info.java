/**
 * Registration and preheat: {@link io.smalldragonfly.supernode.task.TaskManager} validates what a
 * peer sends, derives the task id and ties the CDN and the scheduler together.
 */
package io.smalldragonfly.supernode.task;
