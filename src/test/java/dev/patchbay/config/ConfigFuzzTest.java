package dev.patchbay.config;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer: arbitrary text through {@link ConfigLoader#parse} only ever yields a config or a
 * {@link ConfigException} (see {@link ConfigProperty}). Excluded from the default run (group
 * {@code jazzer}); {@code JAZZER_FUZZ=1} fuzzes, without it the test replays its inputs once.
 */
@Tag("jazzer")
class ConfigFuzzTest {

    @FuzzTest(maxDuration = "5m")
    @DictionaryFile(resourcePath = "/config/ini.dict")
    void parseYieldsAConfigOrAConfigException(FuzzedDataProvider data) {
        ConfigProperty.check(data.consumeRemainingAsString());
    }
}
