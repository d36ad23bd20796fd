package dev.patchbay.core;

/**
 * A configured filter ({@code type=filter} section): a name and the module that implements it. The
 * module's instance lives in {@code dev.patchbay.filter}; the model only needs to know which filters a
 * service or a session uses.
 */
public interface FilterDef {
    String name();

    /** The module ({@code capture}, later {@code qlafilter}, ...). */
    String module();
}
