package io.smalldragonfly.dfget.engine;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.protocol.PeerTaskRequest;
import io.smalldragonfly.common.testing.TestOrigin;
import io.smalldragonfly.supernode.Supernode;
import io.smalldragonfly.supernode.SupernodeConfig;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the client tells "this supernode forgot the task" (register again there) from other failures. */
class SupernodeClientTest {

    @TempDir
    Path tmp;

    @Test
    void aPollForATaskTheSupernodeDoesNotKnowIsForgottenNotAFailure() {
        try (Supernode sn = Supernode.start(SupernodeConfig.forTest(tmp))) {
            SupernodeClient c = new SupernodeClient(SupernodeAddress.of("127.0.0.1", sn.apiPort()));
            assertThatThrownBy(() -> c.poll(PeerTaskRequest.first("cid-1", "a".repeat(64))))
                    .isInstanceOf(SupernodeClient.ForgottenException.class)
                    .hasMessageContaining("does not know this task or peer");
        }
    }

    @Test
    void aPlain404FromSomethingElseIsAnOrdinaryFailure() {
        try (TestOrigin notASupernode = TestOrigin.start()) {
            SupernodeClient c = new SupernodeClient(SupernodeAddress.of("127.0.0.1", notASupernode.port()));
            assertThatThrownBy(() -> c.poll(PeerTaskRequest.first("cid-1", "a".repeat(64))))
                    .isInstanceOf(IOException.class)
                    .isNotInstanceOf(SupernodeClient.ForgottenException.class)
                    .hasMessageContaining("HTTP 404");
        }
    }
}
