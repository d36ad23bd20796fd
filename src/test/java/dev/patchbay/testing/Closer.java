package dev.patchbay.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes what a test opened, newest first, after each test: {@code @RegisterExtension final Closer closer =
 * new Closer();} then {@code closer.track(x)}. Safe to track from other threads (fake servers' sockets).
 */
public final class Closer implements AfterEachCallback {
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    public <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
    }
}
