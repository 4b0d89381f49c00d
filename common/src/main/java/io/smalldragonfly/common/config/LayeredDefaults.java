package io.smalldragonfly.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option values from a YAML config file, then from environment variables, for the options the
 * command line leaves out: flags beat the file, the file beats the environment, the environment
 * beats the built-in default. An option {@code --download-port} is read from the file's key
 * {@code download-port} (or {@code downloadPort}) and from the variable {@code PREFIX_DOWNLOAD_PORT}.
 */
public final class LayeredDefaults implements CommandLine.IDefaultValueProvider {

    private final Map<String, String> file;
    private final Map<String, String> env;
    private final String envPrefix;

    public LayeredDefaults(Map<String, String> file, Map<String, String> env, String envPrefix) {
        this.file = Map.copyOf(file);
        this.env = Map.copyOf(env);
        this.envPrefix = envPrefix;
    }

    /**
     * Finds {@code configOption}'s value among {@code args} (the file must be known before picocli
     * parses), reads that file if given, and layers the process environment under it.
     */
    public static LayeredDefaults load(String[] args, String configOption, String envPrefix) {
        String path = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(configOption) && i + 1 < args.length) {
                path = args[i + 1];
            } else if (args[i].startsWith(configOption + "=")) {
                path = args[i].substring(configOption.length() + 1);
            }
        }
        if (path == null) {
            path = System.getenv(envPrefix + "_CONFIG");
        }
        Map<String, String> file = path == null ? Map.of() : readYaml(Path.of(path));
        return new LayeredDefaults(file, System.getenv(), envPrefix);
    }

    /** Flattens a YAML mapping of scalars (and lists, joined by commas) into option-name keys. */
    public static Map<String, String> readYaml(Path path) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(path));
        } catch (IOException e) {
            throw new IllegalArgumentException("config: cannot read '" + path + "' (" + e.getMessage()
                    + "); expected a readable YAML file of option: value lines");
        }
        Map<String, String> out = new HashMap<>();
        if (root == null || root.isNull() || root.isMissingNode()) {
            return out;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("config: '" + path + "' (expected a YAML mapping of option: value)");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isArray()) {
                StringBuilder sb = new StringBuilder();
                v.forEach(item -> sb.append(sb.length() == 0 ? "" : ",").append(item.asText()));
                out.put(e.getKey(), sb.toString());
            } else if (v.isValueNode()) {
                out.put(e.getKey(), v.asText());
            }
            // nested mappings belong to commands with their own config shape (dfdaemon); skipped here
        }
        return out;
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option)) {
            return null;
        }
        String name = option.longestName().replaceFirst("^-+", "");
        String value = file.get(name);
        if (value == null) {
            value = file.get(camel(name));
        }
        if (value == null) {
            value = env.get(envPrefix + "_" + name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_'));
        }
        return value;
    }

    private static String camel(String kebab) {
        StringBuilder sb = new StringBuilder();
        boolean up = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                up = true;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }
}
