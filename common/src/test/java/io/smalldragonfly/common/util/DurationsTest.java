package io.smalldragonfly.common.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"300, PT5M", "90s, PT1M30S", "5m, PT5M", "3h, PT3H", "1d, PT24H", "500ms, PT0.5S", " 2M , PT2M", "0, PT0S"})
    void parsesWhatUsersWrite(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "soon", "-5s", "5x", "1.5s", "s", "5 m", "9999999999999s"})
    void rejectsWithWhatWasExpected(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("duration: '")
                .hasMessageContaining("expected a duration");
    }
}
