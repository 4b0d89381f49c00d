package io.smalldragonfly.supernode.scheduler;

import static io.smalldragonfly.supernode.scheduler.SwarmSimulation.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.smalldragonfly.supernode.scheduler.SwarmSimulation.Result;
import io.smalldragonfly.supernode.scheduler.SwarmSimulation.Swarm;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's swarm behaviour on a virtual clock (see {@link SwarmSimulation}), with the
 * supernode's default configuration and the original client's poll loop (4 pieces at once): the
 * time for N peers to get a 200 MiB file stays within 1.3x of the lower bound
 * max(F/u_s, F/d_min, N*F/(u_s + sum u_i)) as N grows from 10 to 1,000, and the CDN sends the file
 * about once. Source and CDN 40 MiB/s, peers 20-40 MiB/s down, as the capped benchmark
 * (bench/swarm.sh); docs/performance.md has the figures, also for slower peer uploads.
 */
class SwarmSimulationTest {

    static final long FILE = 200L * 1024 * 1024;

    static Swarm swarm(int n, double uploadMean) {
        return Swarm.random(n, FILE, 40 * MIB, 40 * MIB, 20 * MIB, uploadMean * MIB, 42 + n);
    }

    static List<Result> sweep(double uploadMean, int... sizes) {
        List<Result> results = new ArrayList<>();
        for (int n : sizes) {
            Result r = new SwarmSimulation(swarm(n, uploadMean), b -> b, 4).run();
            System.out.printf("swarm simulation, peer upload mean %.0f MiB/s, N=%d: %s%n", uploadMean, n, r);
            results.add(r);
        }
        return results;
    }

    static void assertNearTheBound(List<Result> results) {
        assertThat(results).allSatisfy(r -> {
            assertThat(r.ratio()).as(r.toString()).isLessThanOrEqualTo(1.3);
            assertThat(r.cdnCopies()).as(r.toString()).isLessThanOrEqualTo(1.1);
        });
    }

    @Test
    void peersUploadingFasterThanTheyDownloadFinishNearTheBound() {
        // The loopback benchmark's case: uploads are not what limits (u_i >> d_i).
        assertNearTheBound(sweep(1e6, 10, 100, 300));
    }

    @Test
    void peersUploadingTwiceTheSlowestDownloadFinishWithinOnePointThreeOfTheBound() {
        // Uploads uniform in 20-60 MiB/s: the peers' upload matters, the CDN is still the only source.
        assertNearTheBound(sweep(40, 10, 100, 1000));
    }

    @Test
    void noPeerIsToldToWaitWhileAHolderOfAPieceItLacksHasASlotFree() {
        // The rule at swarm scale: every 602 answer is checked against the simulation's own view.
        SwarmSimulation sim = new SwarmSimulation(swarm(100, 30), b -> b, 4).checkingIdle();
        Result r = sim.run();
        System.out.println("idle check, N=100, upload mean 30 MiB/s: " + r);
        assertThat(sim.idleViolations()).isEmpty();
    }
}
