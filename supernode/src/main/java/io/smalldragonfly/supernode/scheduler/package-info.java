/**
 * Piece scheduling without Netty or I/O: {@link io.smalldragonfly.supernode.scheduler.Scheduler}
 * answers {@code /peer/task} polls with a {@link io.smalldragonfly.supernode.scheduler.Decision}.
 */
package io.smalldragonfly.supernode.scheduler;
