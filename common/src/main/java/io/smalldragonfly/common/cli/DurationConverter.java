package io.smalldragonfly.common.cli;

import io.smalldragonfly.common.util.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** picocli converter for {@link Durations} ({@code 90s}, {@code 5m}, plain seconds). */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        return Durations.parse(value);
    }
}
