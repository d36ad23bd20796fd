package dev.patchbay.admin.runtime;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer on the CLI parser (see {@link ParserProperty}). Excluded from the default run (group
 * {@code jazzer}); {@code JAZZER_FUZZ=1} fuzzes, without it the test replays its inputs once.
 */
@Tag("jazzer")
class ParserFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void parserNeverThrows(FuzzedDataProvider data) {
        ParserProperty.check(data.consumeRemainingAsBytes());
    }
}
