/**
 * dfdaemon's immutable configuration: {@link io.smalldragonfly.dfdaemon.config.DfdaemonConfig},
 * forward-proxy rules, the allow-list, and the nested parts of the original 1.x YAML file.
 */
package io.smalldragonfly.dfdaemon.config;
