package dev.patchbay.config;

import java.util.List;

/** A configuration that must not be started; every problem found, each naming file, line, section and key. */
public final class ConfigException extends Exception {
    private final List<String> errors;

    public ConfigException(List<String> errors) {
        super(String.join("\n", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
