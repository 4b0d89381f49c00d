package io.smalldragonfly.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteRangeTest {

    @ParameterizedTest
    @CsvSource({
        "'bytes=0-99', 1000, 0, 99",
        "'bytes=900-', 1000, 900, 999",
        "'bytes=-100', 1000, 900, 999",
        "'bytes=-5000', 1000, 0, 999",
        "'bytes=500-5000', 1000, 500, 999",
        "'BYTES= 1-1 ', 1000, 1, 1",
        "'bytes=0-4194303', 255, 0, 254",
    })
    void resolvesAgainstTheResourceLength(String header, long length, long start, long end) {
        assertThat(ByteRange.parse(header, length)).isEqualTo(new ByteRange(start, end));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "bytes", "bytes=", "bytes=-", "items=0-1", "bytes=a-b", "bytes=5-1",
        "bytes=0-1,3-4", "bytes=-1-2", "bytes=99999999999999999999-", "bytes=1-2x", "0-1"})
    void malformedHeadersAreBadRequests(String header) {
        assertThatThrownBy(() -> ByteRange.parse(header, 1000))
                .isInstanceOf(HttpStatusException.class)
                .isNotInstanceOf(RangeNotSatisfiableException.class)
                .hasMessageContaining("expected")
                .satisfies(e -> assertThat(((HttpStatusException) e).status()).isEqualTo(400));
    }

    @ParameterizedTest
    @CsvSource({"'bytes=1000-', 1000", "'bytes=5000-6000', 1000", "'bytes=-0', 1000", "'bytes=0-0', 0", "'bytes=-1', 0"})
    void rangesOutsideTheResourceAre416(String header, long length) {
        assertThatThrownBy(() -> ByteRange.parse(header, length))
                .isInstanceOf(RangeNotSatisfiableException.class)
                .satisfies(e -> assertThat(((RangeNotSatisfiableException) e).resourceLength()).isEqualTo(length));
    }

    @org.junit.jupiter.api.Test
    void contentRangeHeader() {
        assertThat(new ByteRange(0, 99).contentRange(1000)).isEqualTo("bytes 0-99/1000");
        assertThat(new ByteRange(0, 99).length()).isEqualTo(100);
    }
}
