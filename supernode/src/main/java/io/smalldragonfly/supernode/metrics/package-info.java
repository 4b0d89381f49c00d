/** The supernode's Prometheus metrics: {@link io.smalldragonfly.supernode.metrics.SupernodeMetrics}. */
package io.smalldragonfly.supernode.metrics;
