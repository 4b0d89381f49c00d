package io.smalldragonfly.dfdaemon.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChannelInputStreamTest {

    /** Counts the socket reads the stream asks for. */
    static final class Reads extends ChannelOutboundHandlerAdapter {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void read(ChannelHandlerContext ctx) {
            count.incrementAndGet();
        }
    }

    final Reads reads = new Reads();
    final EmbeddedChannel channel = new EmbeddedChannel(reads);
    final ChannelInputStream in = new ChannelInputStream(channel);

    @Test
    void readsWhatWasOfferedInOrderThenEnds() throws IOException {
        in.offer(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        in.offer(Unpooled.wrappedBuffer(new byte[] {4}));
        in.end();
        assertThat(in.available()).isEqualTo(4);
        assertThat(in.readAllBytes()).containsExactly(1, 2, 3, 4);
        assertThat(in.read()).isEqualTo(-1);
        in.close();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void stopsAskingForMoreAboveTheHighWaterMarkAndResumesWhenDrained() throws IOException {
        int before = reads.count.get();
        in.offer(Unpooled.wrappedBuffer(new byte[(int) ChannelInputStream.HIGH_WATER + 1]));
        in.demand();
        assertThat(reads.count.get()).as("paused").isEqualTo(before);
        assertThat(in.readNBytes(1024)).hasSize(1024);
        assertThat(reads.count.get()).as("resumed once below the mark").isEqualTo(before + 1);
        in.demand();
        assertThat(reads.count.get()).isEqualTo(before + 2);
        in.close();
    }

    @Test
    void aFailureReachesTheReader() {
        in.offer(Unpooled.wrappedBuffer(new byte[] {9}));
        in.fail(new IOException("source reset"));
        assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("source reset");
    }

    @Test
    void closeFromAnotherThreadUnblocksAReaderAndReleasesBuffers() {
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return in.read(new byte[10], 0, 10);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        ByteBuf late = Unpooled.buffer(4).writeInt(7);
        in.close();
        await().atMost(Duration.ofSeconds(5)).until(blocked::isDone);
        assertThat(blocked).isCompletedExceptionally();
        in.offer(late);
        assertThat(late.refCnt()).as("offered after close: released").isZero();
        assertThat(channel.isOpen()).isFalse();
    }
}
