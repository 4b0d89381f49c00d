package io.smalldragonfly.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits for the image's HEALTHCHECK to report healthy, like {@code Wait.forHealthcheck()}, but
 * fails at once, with the container's last log lines, when the container exits instead of
 * waiting out the whole startup timeout.
 */
final class HealthyOrExited extends AbstractWaitStrategy {

    HealthyOrExited(Duration timeout) {
        withStartupTimeout(timeout);
    }

    @Override
    protected void waitUntilReady() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        String status = "none";
        while (System.nanoTime() < deadline) {
            InspectContainerResponse info = waitStrategyTarget.getCurrentContainerInfo();
            InspectContainerResponse.ContainerState state = info.getState();
            if (!Boolean.TRUE.equals(state.getRunning())) {
                throw new ContainerLaunchException("container " + info.getName() + " exited with code "
                        + state.getExitCodeLong() + " before it was healthy; last log lines:\n"
                        + DockerSupport.tail(waitStrategyTarget.getLogs(), 30));
            }
            if (state.getHealth() != null) {
                status = state.getHealth().getStatus();
                if ("healthy".equals(status)) {
                    return;
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted", e);
            }
        }
        throw new ContainerLaunchException("container " + waitStrategyTarget.getContainerInfo().getName()
                + " not healthy after " + startupTimeout.toSeconds() + " s (health: " + status + "); last log lines:\n"
                + DockerSupport.tail(waitStrategyTarget.getLogs(), 30));
    }
}
