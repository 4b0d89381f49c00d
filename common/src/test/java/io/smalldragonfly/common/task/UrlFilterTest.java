package io.smalldragonfly.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UrlFilterTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Signature&Expires | http://h/f?Signature=x&a=1&Expires=2 | http://h/f?a=1",
        "Signature&Expires | http://h/f?Signature=x&Expires=2 | http://h/f",
        "Signature | http://h/f?a=1&b=2 | http://h/f?a=1&b=2",
        "Signature | http://h/f | http://h/f",
        "a | http://h/f?a=1&a=2&ab=3#frag | http://h/f?ab=3#frag",
        "a | http://h/f?b=%20x&a | http://h/f?b=%20x",
    })
    void removesOnlyTheNamedKeys(String spec, String url, String expected) {
        assertThat(UrlFilter.parse(spec).apply(url)).isEqualTo(expected);
    }

    @Test
    void blankFilterLeavesUrlsAlone() {
        assertThat(UrlFilter.parse("").apply("http://h/f?a=1")).isEqualTo("http://h/f?a=1");
        assertThat(UrlFilter.parse(null)).isEqualTo(UrlFilter.NONE);
        assertThat(UrlFilter.parse(" a & b ").keys()).containsExactlyInAnyOrder("a", "b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ftp://h/f", "file:///etc/passwd", "http:///nohost", "http://h/f g", "gopher://h/", "h/f"})
    void requireHttpUrlRejectsWithWhatWasExpected(String url) {
        assertThatThrownBy(() -> UrlFilter.requireHttpUrl(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("url:")
                .hasMessageContaining("expected");
    }

    @Test
    void requireHttpUrlAcceptsHttpAndHttps() {
        assertThat(UrlFilter.requireHttpUrl("https://reg.example:5000/v2/x").getPort()).isEqualTo(5000);
        assertThat(UrlFilter.requireHttpUrl("HTTP://127.0.0.1/f").getHost()).isEqualTo("127.0.0.1");
    }
}
