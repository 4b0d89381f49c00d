package io.smalldragonfly.dfdaemon.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One entry of the original 1.x config's {@code proxies} list (and of {@code --rule}): absolute
 * URLs in which {@code regx} is found are sent through P2P, or passed straight through when
 * {@code direct}; {@code useHttps} fetches an {@code http://} URL as {@code https://}.
 * The first matching rule wins.
 */
public record ProxyRule(Pattern regx, boolean useHttps, boolean direct) {

    public ProxyRule {
        Objects.requireNonNull(regx, "regx");
    }

    public static ProxyRule p2p(String regex) {
        return new ProxyRule(compile(regex), false, false);
    }

    public static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException("rule: '" + regex + "' is not a regular expression ("
                    + e.getDescription() + "); expected a Java regex such as 'blobs/sha256.*'");
        }
    }

    public boolean matches(String url) {
        return regx.matcher(url).find();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProxyRule r && r.regx.pattern().equals(regx.pattern())
                && r.useHttps == useHttps && r.direct == direct;
    }

    @Override
    public int hashCode() {
        return Objects.hash(regx.pattern(), useHttps, direct);
    }
}
