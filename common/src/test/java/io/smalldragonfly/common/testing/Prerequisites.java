package io.smalldragonfly.common.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * Prerequisites of tests that use real things (built launchers, Debian packages, a docker daemon).
 * On a developer's machine a missing one skips the test with the message; in CI ({@code CI=true},
 * where {@code scripts/test.sh} installs and starts everything) it fails it, so a broken setup can
 * never pass as a skipped suite.
 */
public final class Prerequisites {

    private Prerequisites() {}

    public static void require(boolean present, String whatIsMissing) {
        if (isCi()) {
            if (!present) {
                throw new AssertionError("CI prerequisite missing: " + whatIsMissing);
            }
        } else {
            Assumptions.assumeTrue(present, whatIsMissing);
        }
    }

    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
