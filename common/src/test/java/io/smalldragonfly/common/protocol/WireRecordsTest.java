package io.smalldragonfly.common.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WireRecordsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"cid\":\"c\",\"port\":\"8080\"} | port",
        "{\"cid\":\"c\",\"port\":1.5} | port",
        "{\"cid\":7,\"port\":1} | cid",
        "{\"cid\":\"c\",\"port\":1,\"headers\":\"a: b\"} | headers",
        "{\"cid\":\"c\",\"port\":1,\"dfdaemon\":\"yes\"} | dfdaemon",
    })
    void wrongTypesAreRejectedNamingTheField(String body, String field) {
        assertThatThrownBy(() -> Json.read(body, RegisterRequest.class))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith(field)
                .hasMessageContaining("expected");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,2]", "null", "{\"cid\":}", "not json"})
    void brokenJsonIsAProtocolError(String body) {
        assertThatThrownBy(() -> Json.read(body, RegisterRequest.class))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("expected");
    }

    @Test
    void unknownFieldsAreIgnoredAndNullsNotWritten() {
        RegisterRequest r = Json.read("{\"cid\":\"c\",\"port\":1,\"futureField\":{\"x\":1}}", RegisterRequest.class);
        assertThat(r.cid()).isEqualTo("c");
        assertThat(r.headers()).isEmpty();
        assertThat(Json.writeString(new RegisterResult("t", 1, 2))).isEqualTo("{\"taskId\":\"t\",\"fileLength\":1,\"pieceSize\":2}");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 199, 201, 499, 504, 613, 700, -1})
    void unknownResultCodesAreRejected(int code) {
        assertThatThrownBy(() -> ResultCode.of(code)).isInstanceOf(ProtocolException.class).hasMessageContaining("expected");
        assertThatThrownBy(() -> Json.read("{\"code\":" + code + "}", ApiResponse.class).resultCode())
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void statusAndResultEnumsAreTheWireNumbers() {
        assertThat(PeerTaskStatus.of(701)).isEqualTo(PeerTaskStatus.RUNNING);
        assertThat(PieceResult.of(503)).isEqualTo(PieceResult.SEMI_SUCCESS);
        assertThatThrownBy(() -> PeerTaskStatus.of(703)).hasMessageContaining("expected 700, 701 or 702");
        assertThatThrownBy(() -> PieceResult.of(504)).hasMessageContaining("expected 500");
        assertThatThrownBy(() -> PieceErrorType.parse("BAD")).hasMessageContaining("FILE_NOT_EXIST");
    }

    @Test
    void envelopeCarriesTypedData() {
        ApiResponse r = ApiResponse.of(ResultCode.PEER_CONTINUE, List.of(new PieceTask("0-4194303", 0, 4194304,
                "abc:4194304", CdnNode.cid("1.2.3.4", "t".repeat(64)), "1.2.3.4", 8001, CdnNode.path("a".repeat(64)), 20480)));
        ApiResponse back = Json.read(Json.write(r), ApiResponse.class);
        List<PieceTask> pieces = back.data(new TypeReference<List<PieceTask>>() {});
        assertThat(pieces.get(0).fromSupernode()).isTrue();
        assertThat(pieces.get(0).path()).isEqualTo("/qtdown/aaa/" + "a".repeat(64));
        assertThatThrownBy(() -> ApiResponse.of(ResultCode.PEER_WAIT, "wait").data(TaskFinish.class))
                .hasMessageContaining("data: missing");
    }

    @Test
    void heartbeatUsesTheOriginalCapitalisedNames() {
        assertThat(Json.writeString(new HeartbeatRequest("1.2.3.4", "c1", 15000)))
                .isEqualTo("{\"IP\":\"1.2.3.4\",\"cID\":\"c1\",\"port\":15000}");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "srcCid=a&taskId=t&status=701 | result",
        "srcCid=a&taskId=t&status=70x&result=503 | status",
        "srcCid=a&taskId=t&status=704&result=503 | status",
        "taskId=t&status=701&result=503 | srcCid",
        "srcCid=a&status=701&result=503 | taskId",
    })
    void badPeerTaskQueriesSayWhatWasExpected(String query, String field) {
        assertThatThrownBy(() -> PeerTaskRequest.from(QueryParams.parse(query)))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith(field)
                .hasMessageContaining("expected");
    }

    @Test
    void queryEncodingEscapesWhatMustBe() {
        assertThat(QueryParams.encode(Map.of("a", "x y&z=é"))).isEqualTo("a=x%20y%26z%3D%C3%A9");
        assertThat(QueryParams.parse("a=x%20y%26z%3D%C3%A9").optional("a")).isEqualTo("x y&z=é");
        assertThatThrownBy(() -> QueryParams.parse("a=%zz")).isInstanceOf(ProtocolException.class);
        PieceErrorReport rep = new PieceErrorReport("t", "0-9", "s", "d", "1.2.3.4", "r", "e",
                PieceErrorType.FILE_MD5_NOT_MATCH);
        assertThat(PieceErrorReport.from(QueryParams.parse(rep.toQuery()))).isEqualTo(rep);
    }
}
