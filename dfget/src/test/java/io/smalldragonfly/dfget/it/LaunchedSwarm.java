package io.smalldragonfly.dfget.it;

import io.smalldragonfly.common.testing.Prerequisites;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What the launcher tests share: an in-process supernode and origin, and {@code bin/dfget} as processes. */
abstract class LaunchedSwarm {

    @TempDir
    Path tmp;

    Supernode supernode;
    TestOrigin origin;
    Launcher launcher;

    @BeforeEach
    void startSwarm() {
        Prerequisites.require(Launcher.built(), "build the launcher's jars first: mvn -q -DskipTests package");
        launcher = new Launcher(tmp);
        supernode = Supernode.start(SupernodeConfig.forTest(tmp.resolve("sn")));
        origin = TestOrigin.start();
    }

    @AfterEach
    void stopSwarm() throws Exception {
        launcher.close();
        if (supernode != null) {
            supernode.close();
        }
        if (origin != null) {
            origin.close();
        }
    }
}
