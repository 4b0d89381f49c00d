package io.smalldragonfly.common.cli;

import java.nio.file.Path;
import java.util.ListResourceBundle;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options every command has, as a picocli {@code @Mixin}: {@code --verbose} and {@code --home}.
 * What a home holds and where it is differ per command, so a command constructs the mixin with its
 * own default and description:
 *
 * <pre>{@code
 * @Mixin
 * CommonOptions common = new CommonOptions(Path.of(...), "Cache and logs (default: ${DEFAULT-VALUE}).");
 * }</pre>
 *
 * The default is the option's initial value: {@code ${DEFAULT-VALUE}} shows it, and a default
 * provider ({@code LayeredDefaults}: YAML, then environment) still comes first. The description is
 * given to picocli as the key {@code home} of the command's resource bundle, a bundle object built
 * here rather than a properties file: the first {@code ResourceBundle.getBundle} of a JVM (provider
 * lookup, candidate locales) took 40-150 ms on a loaded 2-core host and loaded 45 more classes in
 * every dfget start; a bundle object takes 0.1 ms. A command using this mixin therefore has no
 * resource bundle of its own.
 */
public final class CommonOptions {

    @Option(names = "--verbose", description = "Debug logging.")
    boolean verbose;

    @Option(names = "--home", descriptionKey = "home", description = "Data and logs (default: ${DEFAULT-VALUE}).")
    Path home;

    private final String homeDescription;

    /** For picocli; a command constructs the mixin itself (see the class comment). */
    public CommonOptions() {
        this(null, null);
    }

    public CommonOptions(Path defaultHome, String homeDescription) {
        this.home = defaultHome;
        this.homeDescription = homeDescription;
    }

    @Spec(Spec.Target.MIXEE)
    void describeHomeIn(CommandSpec command) {
        if (homeDescription == null) {
            return;
        }
        command.resourceBundle(new ListResourceBundle() {
            @Override
            protected Object[][] getContents() {
                return new Object[][] {{"home", homeDescription}};
            }
        });
    }

    public boolean verbose() {
        return verbose;
    }

    public Path home() {
        return home;
    }
}
