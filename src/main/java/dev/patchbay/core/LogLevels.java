package dev.patchbay.core;

/** Bits of {@link Session#logFlags()}: MaxScale's per-session log_* parameters. */
public final class LogLevels {
    public static final int ERROR = 1;
    public static final int WARNING = 1 << 1;
    public static final int NOTICE = 1 << 2;
    public static final int INFO = 1 << 3;
    public static final int DEBUG = 1 << 4;

    private LogLevels() {}
}
