package io.smalldragonfly.common.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({"20M, 20971520", "1G, 1073741824", "1000M, 1048576000", "4096, 4096", "512k, 524288",
        "2MB, 2097152", "3MiB, 3145728", "0, 0", "1T, 1099511627776", "100B, 100", " 7K , 7168"})
    void parsesWhatUsersWrite(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"12Q", "-5M", "", " ", "M", "1.5M", "1 M", "abc", "0x10", "99999999999T", "+5M", "5MM"})
    void rejectsWithWhatWasExpected(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected");
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1536, 1.5 KiB", "20971520, 20.0 MiB"})
    void formats(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
    }
}
