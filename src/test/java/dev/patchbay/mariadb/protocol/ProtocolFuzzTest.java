package dev.patchbay.mariadb.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

/**
 * Jazzer on the frame decoder, the handshake-response, handshake and change-user parsers and the
 * response state machine: any input gives packets or a {@link ProtocolException}, nothing else.
 * Excluded from the default run (group {@code jazzer}); {@code JAZZER_FUZZ=1} fuzzes, without it
 * the test replays its inputs once.
 */
@Tag("jazzer")
class ProtocolFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void decodersOnlyThrowProtocolErrors(FuzzedDataProvider data) {
        ParserRobustness.check(data.consumeRemainingAsBytes());
    }
}
