package io.smalldragonfly.dfdaemon.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class HopByHopTest {

    @Test
    void stripsTheConstantSetAndWhatConnectionNames() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "keep-alive, X-Foo")
                .add("Connection", "x-bar")
                .add("X-Foo", "1").add("X-Bar", "2").add("Keep-Alive", "timeout=5")
                .add("Proxy-Authorization", "Basic eA==").add("Proxy-Authenticate", "Basic")
                .add("Proxy-Connection", "keep-alive").add("TE", "trailers").add("Trailer", "X-T")
                .add("Transfer-Encoding", "chunked").add("Upgrade", "h2c")
                .add("Authorization", "Bearer t").add("Accept", "a/b").add("Via", "1.0 lb");
        HopByHop.strip(h);
        HopByHop.addVia(h);
        assertThat(h.names().stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).distinct())
                .containsExactlyInAnyOrder("authorization", "accept", "via");
        assertThat(h.getAll("Via")).containsExactly("1.0 lb", "1.1 dfdaemon");
    }
}
