/**
 * The supernode: tracker, piece scheduler and CDN cache speaking the Dragonfly 0.3 protocol.
 * Entry points: {@link io.smalldragonfly.supernode.Supernode#start} with a
 * {@link io.smalldragonfly.supernode.SupernodeConfig} (embedding, tests) and
 * {@link io.smalldragonfly.supernode.SupernodeMain} ({@code bin/supernode}).
 */
package io.smalldragonfly.supernode;
