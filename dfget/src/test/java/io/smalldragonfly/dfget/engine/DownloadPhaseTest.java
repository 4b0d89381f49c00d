package io.smalldragonfly.dfget.engine;

import io.smalldragonfly.common.source.SourceHttpClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The phases of a download and the one method that changes them. No sockets. */
class DownloadPhaseTest {

    @TempDir
    Path tmp;

    private DownloadEngine engine;

    @BeforeEach
    void engine() {
        engine = new DownloadEngine(EngineConfig.of(tmp, 0));
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private DownloadContext context() {
        DownloadRequest request = DownloadRequest.builder("http://127.0.0.1:1/f", tmp.resolve("out.bin")).build();
        return new DownloadContext(engine, request, "cid", "out.bin-1", SourceHttpClient.builder(java.time.Duration.ofSeconds(5)).build());
    }

    @ParameterizedTest
    @CsvSource({
        "NEW,         REGISTERING",
        "NEW,         SOURCE",
        "NEW,         FAILED",
        "REGISTERING, P2P",
        "REGISTERING, SOURCE",
        "REGISTERING, FAILED",
        "P2P,         REGISTERING",
        "P2P,         VERIFYING",
        "P2P,         SOURCE",
        "P2P,         FAILED",
        "SOURCE,      VERIFYING",
        "SOURCE,      FAILED",
        "VERIFYING,   DONE",
        "VERIFYING,   FAILED",
    })
    void legalSteps(DownloadPhase from, DownloadPhase to) {
        assertThat(from.canMoveTo(to)).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
        "NEW,         P2P",
        "NEW,         VERIFYING",
        "NEW,         DONE",
        "REGISTERING, REGISTERING",
        "REGISTERING, VERIFYING",
        "REGISTERING, DONE",
        "P2P,         P2P",
        "P2P,         DONE",
        "SOURCE,      P2P",
        "SOURCE,      REGISTERING",
        "SOURCE,      DONE",
        "VERIFYING,   SOURCE",
        "VERIFYING,   P2P",
        "DONE,        FAILED",
        "FAILED,      DONE",
        "FAILED,      NEW",
    })
    void illegalSteps(DownloadPhase from, DownloadPhase to) {
        assertThat(from.canMoveTo(to)).isFalse();
    }

    @Test
    void onlyDoneAndFailedAreTerminalAndNothingFollowsThem() {
        for (DownloadPhase p : DownloadPhase.values()) {
            assertThat(p.terminal()).isEqualTo(p == DownloadPhase.DONE || p == DownloadPhase.FAILED);
            assertThat(p.next().isEmpty()).isEqualTo(p.terminal());
            assertThat(p.next()).doesNotContain(DownloadPhase.NEW);
        }
        EnumSet<DownloadPhase> canFail = EnumSet.complementOf(EnumSet.of(DownloadPhase.DONE, DownloadPhase.FAILED));
        canFail.forEach(p -> assertThat(p.canMoveTo(DownloadPhase.FAILED)).as("%s -> FAILED", p).isTrue());
    }

    @Test
    void aContextStartsNewAndFollowsAP2pDownloadWithAFailoverToItsEnd() {
        DownloadContext ctx = context();
        assertThat(ctx.phase()).isEqualTo(DownloadPhase.NEW);
        for (DownloadPhase p : List.of(DownloadPhase.REGISTERING, DownloadPhase.P2P, DownloadPhase.REGISTERING,
                DownloadPhase.P2P, DownloadPhase.VERIFYING, DownloadPhase.DONE)) {
            ctx.moveTo(p);
            assertThat(ctx.phase()).isEqualTo(p);
        }
    }

    @Test
    void aContextFallsBackToTheSourceFromP2p() {
        DownloadContext ctx = context();
        ctx.moveTo(DownloadPhase.REGISTERING);
        ctx.moveTo(DownloadPhase.P2P);
        ctx.moveTo(DownloadPhase.SOURCE);
        ctx.moveTo(DownloadPhase.VERIFYING);
        ctx.moveTo(DownloadPhase.FAILED);
        assertThat(ctx.phase()).isEqualTo(DownloadPhase.FAILED);
    }

    @Test
    void aContextRefusesAnIllegalStepAndStaysWhereItWas() {
        DownloadContext ctx = context();
        ctx.moveTo(DownloadPhase.SOURCE);
        assertThatThrownBy(() -> ctx.moveTo(DownloadPhase.P2P)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SOURCE to P2P").hasMessageContaining("expected one of");
        assertThat(ctx.phase()).isEqualTo(DownloadPhase.SOURCE);
        ctx.moveTo(DownloadPhase.VERIFYING);
        ctx.moveTo(DownloadPhase.DONE);
        assertThatThrownBy(() -> ctx.moveTo(DownloadPhase.FAILED)).isInstanceOf(IllegalStateException.class);
        assertThat(ctx.phase()).isEqualTo(DownloadPhase.DONE);
    }

    @Test
    void aDownloadThatCannotStartEndsFailedBeforeItsResultCompletes() {
        Download d = engine.start(DownloadRequest.builder("http://127.0.0.1:1/f", tmp.resolve("a.bin")).notbs(true)
                .build());
        assertThatThrownBy(d::await).isInstanceOf(DownloadException.class)
                .satisfies(e -> assertThat(((DownloadException) e).failure()).isEqualTo(Failure.NO_SUPERNODE));
        assertThat(d.phase()).isEqualTo(DownloadPhase.FAILED);
    }
}
