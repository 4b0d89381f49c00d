package io.smalldragonfly.common.piece;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smalldragonfly.common.protocol.ProtocolException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PieceMathTest {

    private static final int MIB = 1024 * 1024;

    @ParameterizedTest
    @CsvSource({
        "-1, 4194304",
        "0, 4194304",
        "209715200, 4194304",      // 200 MiB: still the default
        "209715201, 4194304",      // just above: 200 MiB / 100 MiB + 2 = 4 MiB
        "314572800, 5242880",      // 300 MiB -> 5 MiB
        "1073741824, 12582912",    // 1 GiB -> 10 + 2 = 12 MiB
        "10737418240, 15728640",   // 10 GiB -> capped at 15 MiB
    })
    void pieceSizeFollowsTheOriginalPolicy(long length, int expected) {
        assertThat(PieceSizePolicy.pieceSize(length)).isEqualTo(expected);
    }

    @Test
    void twoHundredMegabytesIsFiftyOnePiecesAsTheCapturesShow() {
        PieceLayout layout = PieceLayout.of(200L * MIB);
        assertThat(layout.pieceSize()).isEqualTo(4 * MIB);
        assertThat(layout.pieceCount()).isEqualTo(51);
        assertThat(layout.contentLength(0)).isEqualTo(4194299);
        assertThat(layout.contentLength(50)).isEqualTo(250);
        assertThat(layout.framedLength(50)).isEqualTo(255);
        assertThat(layout.framedLength()).isEqualTo(209715455L);
        assertThat(layout.wireRange(50).toString()).isEqualTo("209715200-213909503");
        assertThat(layout.contentOffset(50)).isEqualTo(50L * 4194299);
        assertThat(layout.pieceNum(PieceRange.parse("8388608-12582911"))).isEqualTo(2);
    }

    @Test
    void fullPieceHeaderIsTheCapturedBytes() {
        assertThat(PieceFraming.headerBytes(4194299, 4 * MIB)).containsExactly(0x04, 0x3f, 0xff, 0xfb);
        int h = PieceFraming.header(250, 4 * MIB);
        assertThat(PieceFraming.contentLength(h)).isEqualTo(250);
        assertThat(PieceFraming.pieceSize(h)).isEqualTo(4 * MIB);
        int big = PieceFraming.header(15 * MIB - 5, 15 * MIB);
        assertThat(PieceFraming.pieceSize(big)).isEqualTo(15 * MIB);
        assertThat(PieceFraming.contentLength(big)).isEqualTo(15 * MIB - 5);
    }

    @Test
    void verifyAcceptsAWellFramedPiece() {
        byte[] framed = frame(new byte[] {1, 2, 3}, 4 * MIB, PieceFraming.TRAILER);
        assertThat(PieceFraming.verify(framed, framed.length, 4 * MIB)).isEqualTo(3);
    }

    @Test
    void verifyRejectsAWrongTrailer() {
        byte[] framed = frame(new byte[] {1, 2, 3}, 4 * MIB, (byte) 0x00);
        assertThatThrownBy(() -> PieceFraming.verify(framed, framed.length, 4 * MIB))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected 0x7f");
    }

    @Test
    void verifyRejectsAHeaderThatDisagreesWithTheLength() {
        byte[] framed = frame(new byte[] {1, 2, 3}, 4 * MIB, PieceFraming.TRAILER);
        assertThatThrownBy(() -> PieceFraming.verify(framed, framed.length - 1, 4 * MIB))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("disagrees");
        assertThatThrownBy(() -> PieceFraming.verify(framed, framed.length, 5 * MIB))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected 5242880");
        assertThatThrownBy(() -> PieceFraming.verify(new byte[3], 3, 4 * MIB))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("at least 5");
    }

    @ParameterizedTest
    @CsvSource({"-1, 4194304", "4194300, 4194304", "10, 1000", "10, 17825792", "10, 6291457"})
    void headerRejectsImpossibleSizes(int contentLength, int pieceSize) {
        assertThatThrownBy(() -> PieceFraming.header(contentLength, pieceSize))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "5", "-5", "5-", "a-b", "10-5", "-1-5", "1--5", "1-2-3",
        "99999999999999999999-99999999999999999999", "+1-2", " 1-2", "0x10-0x20"})
    void rangeParsingRejectsGarbage(String bad) {
        assertThatThrownBy(() -> PieceRange.parse(bad))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected");
    }

    @Test
    void rangeMustBeAWholePieceToNameOne() {
        assertThat(PieceRange.parse("0-4194303").pieceNum(4 * MIB)).isZero();
        assertThatThrownBy(() -> PieceRange.parse("1-4194304").pieceNum(4 * MIB))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("whole piece");
        assertThatThrownBy(() -> PieceRange.parse("0-99").pieceNum(4 * MIB))
                .isInstanceOf(ProtocolException.class);
        PieceLayout small = PieceLayout.of(10);
        assertThatThrownBy(() -> small.pieceNum(PieceRange.of(1, 4 * MIB)))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected 0..0");
    }

    @Test
    void layoutEdgeCases() {
        assertThat(PieceLayout.of(0).pieceCount()).isZero();
        assertThat(PieceLayout.of(0).framedLength()).isZero();
        PieceLayout exact = new PieceLayout(2L * (4 * MIB - 5), 4 * MIB);
        assertThat(exact.pieceCount()).isEqualTo(2);
        assertThat(exact.contentLength(1)).isEqualTo(4 * MIB - 5);
        PieceLayout huge = PieceLayout.of(10L * 1024 * MIB);
        assertThat(huge.pieceCount()).isEqualTo((int) Math.ceil(10.0 * 1024 * MIB / (15 * MIB - 5)));
        assertThatThrownBy(() -> new PieceLayout(-1, 4 * MIB)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> exact.contentOffset(2)).isInstanceOf(ProtocolException.class);
    }

    private static byte[] frame(byte[] content, int pieceSize, byte trailer) {
        return ByteBuffer.allocate(content.length + 5)
                .putInt(PieceFraming.header(content.length, pieceSize))
                .put(content)
                .put(trailer)
                .array();
    }
}
