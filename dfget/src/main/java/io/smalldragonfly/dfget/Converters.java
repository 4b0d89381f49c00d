package io.smalldragonfly.dfget;

import io.smalldragonfly.common.util.Sizes;
import picocli.CommandLine.ITypeConverter;

/** picocli converter for sizes ({@code 20M}); durations use common's {@code DurationConverter}. */
final class Converters {

    private Converters() {}

    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Sizes.parse(value);
        }
    }

}
