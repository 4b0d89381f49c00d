package io.smalldragonfly.common.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.protocol.ProtocolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TaskIdTest {

    /** Golden vectors checked against the original supernode (PROTOCOL.md). */
    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        "http://127.0.0.1:18080/file200m, -, 943602a4b973a0e5267d99fadda1423a61109a4f33dbc222086e8c96e20f7d64",
        "http://example.com/a.tar.gz, d41d8cd98f00b204e9800998ecf8427e, 46f22c16897949ccb9e40318ae22ccf6d7f43426ce60c112776ca450c0e15bda",
    })
    void matchesTheOriginalSupernode(String taskUrl, String md5, String expected) {
        assertThat(TaskId.compute(taskUrl, md5, null).value()).isEqualTo(expected);
    }

    @Test
    void identifierStandsInForMd5ButMd5Wins() {
        String url = "http://example.com/a.tar.gz";
        String md5 = "d41d8cd98f00b204e9800998ecf8427e";
        assertThat(TaskId.compute(url, null, md5)).isEqualTo(TaskId.compute(url, md5, null));
        assertThat(TaskId.compute(url, md5, "other")).isEqualTo(TaskId.compute(url, md5, null));
        assertThat(TaskId.compute(url, null, "v1")).isNotEqualTo(TaskId.compute(url, null, null));
        assertThat(TaskId.compute(url, "", "")).isEqualTo(TaskId.compute(url, null, null));
    }

    @Test
    void saltIsTheOriginals32Characters() {
        assertThat(TaskId.SALT).hasSize(32).startsWith(">I$pg").endsWith(";nE%");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "943602A4B973A0E5267D99FADDA1423A61109A4F33DBC222086E8C96E20F7D64",
        "../../../../etc/passwd", "943602a4b973a0e5267d99fadda1423a61109a4f33dbc222086e8c96e20f7d6g",
        "943602a4b973a0e5267d99fadda1423a61109a4f33dbc222086e8c96e20f7d64/"})
    void rejectsAnythingButLowercaseHex64(String bad) {
        assertThatThrownBy(() -> TaskId.of(bad))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("expected 64 lowercase hex");
    }
}
