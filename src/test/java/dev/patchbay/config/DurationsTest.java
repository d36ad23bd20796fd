package dev.patchbay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"10s,10000000000", "500ms,500000000", "2m,120000000000", "1h,3600000000000",
        "1d,86400000000000", "0,0", "0ms,0", "0d,0", "' 10s ',10000000000", "36500d,3153600000000000000"})
    void parses(String text, long nanos) {
        assertThat(Durations.parseNanos(text)).isEqualTo(nanos);
    }

    @Test
    void errors() {
        assertThatThrownBy(() -> Durations.parseNanos("10")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'10' needs a unit (ms, s, m, h or d), e.g. 10s");
        assertThatThrownBy(() -> Durations.parseNanos("soon")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'soon' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
        assertThatThrownBy(() -> Durations.parseNanos("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
        assertThatThrownBy(() -> Durations.parseNanos("36501d")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'36501d' is too long");
        assertThatThrownBy(() -> Durations.parseNanos("3153600000001ms")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'3153600000001ms' is too long");
        assertThatThrownBy(() -> Durations.parseNanos("9".repeat(40) + "ms")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + "9".repeat(40) + "ms' is too long");
        assertThatThrownBy(() -> Durations.parseNanos("\u0661\u0660s")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'\u0661\u0660s' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
    }

    @Test
    void theLimitIs100Years() {
        assertThat(Durations.MAX_NANOS).isEqualTo(TimeUnit.DAYS.toNanos(36500));
        assertThat(Durations.parseNanos("3153600000000ms")).isEqualTo(Durations.MAX_NANOS);
        assertThat(Durations.parseNanos("876000h")).isEqualTo(Durations.MAX_NANOS);
    }

    @ParameterizedTest
    @CsvSource({"0,0", "1,1ms", "999,999ms", "1000,1s", "1500,1500ms", "59000,59s", "60000,1m", "90000,90s",
        "3600000,1h", "5400000,90m", "86400000,1d", "90000000,25h", "3153600000000,36500d"})
    void formatsTheShortestExactText(long millis, String text) {
        assertThat(Durations.format(TimeUnit.MILLISECONDS.toNanos(millis))).isEqualTo(text);
    }

    @Test
    void subMillisecondDurationsAreRoundedUpNeverShownAsZero() {
        assertThat(Durations.format(1)).isEqualTo("1ms");
        assertThat(Durations.format(999_999)).isEqualTo("1ms");
        assertThat(Durations.format(1_000_001)).isEqualTo("2ms");
    }

    @ParameterizedTest
    @CsvSource({"10s", "500ms", "2m", "1h", "1d", "0", "1500ms", "90s", "25h", "36500d", "1ms", "61m", "3601s"})
    void formatRoundTrips(String text) {
        long nanos = Durations.parseNanos(text);
        assertThat(Durations.format(nanos)).isEqualTo(text);
        assertThat(Durations.parseNanos(Durations.format(nanos))).isEqualTo(nanos);
    }

    @Test
    void formatRoundTripsForRandomDurations() {
        Random random = new Random(42);
        String[] units = {"ms", "s", "m", "h", "d"};
        long[] maxes = {3_153_600_000_000L, 3_153_600_000L, 52_560_000L, 876_000L, 36_500L};
        for (int i = 0; i < 10_000; i++) {
            int u = random.nextInt(units.length);
            long n = random.nextInt(4) == 0 ? random.nextInt(100) : (long) (random.nextDouble() * maxes[u]);
            long nanos = Durations.parseNanos(n + units[u]);
            String shown = Durations.format(nanos);
            assertThat(Durations.parseNanos(shown)).as("%s%s shown as %s", n, units[u], shown).isEqualTo(nanos);
            assertThat(shown.length()).isLessThanOrEqualTo((n + units[u]).length());
        }
    }
}
