package dev.patchbay.admin.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** human_time, strtoul, the command-line grammar and the line framer. */
class UnitsTest {

    @Test
    void humanTimeAsHaproxy() {
        assertThat(HumanTime.format(0)).isEqualTo("0s");
        assertThat(HumanTime.format(9)).isEqualTo("9s");
        assertThat(HumanTime.format(60)).isEqualTo("1m");
        assertThat(HumanTime.format(120)).isEqualTo("2m");
        assertThat(HumanTime.format(3598)).isEqualTo("59m58s");
        assertThat(HumanTime.format(3600)).isEqualTo("1h");
        assertThat(HumanTime.format(3605)).isEqualTo("1h5s");
        assertThat(HumanTime.format(3 * 86400 + 2 * 3600 + 5)).isEqualTo("3d2h");
        assertThat(HumanTime.format(86400 + 59)).isEqualTo("1d59s");
        assertThat(HumanTime.format(2147483647L)).isEqualTo("24855d3h");
        assertThat(HumanTime.format(-1)).isEqualTo("?");
    }

    @Test
    void timersTruncateTowardsZero() {
        long now = 1_000_000_000_000L;
        assertThat(HumanTime.remaining(Long.MAX_VALUE, now, "")).isEmpty();
        assertThat(HumanTime.remaining(now + 120_000_000_000L, now, "")).isEqualTo("2m");
        assertThat(HumanTime.remaining(now + 119_999_000_000L, now, "")).isEqualTo("1m59s");
        assertThat(HumanTime.remaining(now - 500_000_000L, now, "")).isEqualTo("0s");
        assertThat(HumanTime.remaining(now - 1_500_000_000L, now, "")).isEqualTo("?");
    }

    @Test
    void strtoulAsC() {
        assertThat(CNumbers.strtoul("0x55f5aa6231d0")).isEqualTo(0x55f5aa6231d0L);
        assertThat(CNumbers.strtoul("0X55F5AA6231D0")).isEqualTo(0x55f5aa6231d0L);
        assertThat(CNumbers.strtoul("94513613910480")).isEqualTo(0x55f5aa6231d0L);
        assertThat(CNumbers.strtoul("0x55f5aa6231d0zzz")).isEqualTo(0x55f5aa6231d0L);
        assertThat(CNumbers.strtoul("55f5aa6231d0")).isEqualTo(55L);
        assertThat(CNumbers.strtoul("017")).isEqualTo(15L);
        assertThat(CNumbers.strtoul("08")).isEqualTo(0L);
        assertThat(CNumbers.strtoul("0x")).isEqualTo(0L);
        assertThat(CNumbers.strtoul("garbage")).isEqualTo(0L);
        assertThat(CNumbers.strtoul("  +12")).isEqualTo(12L);
        assertThat(CNumbers.strtoul("-1")).isEqualTo(-1L);
        assertThat(CNumbers.strtoul("0xffffffffffffffff")).isEqualTo(-1L);
        assertThat(CNumbers.strtoul("0x1ffffffffffffffff")).isEqualTo(-1L);
        assertThat(CNumbers.strtoul("99999999999999999999999")).isEqualTo(-1L);
    }

    @Test
    void delays() {
        assertThat(CNumbers.parseDelayNanos("10", 1_000_000_000L)).isEqualTo(10_000_000_000L);
        assertThat(CNumbers.parseDelayNanos("1h", 1_000_000_000L)).isEqualTo(3_600_000_000_000L);
        assertThat(CNumbers.parseDelayNanos("500ms", 1_000_000_000L)).isEqualTo(500_000_000L);
        assertThat(CNumbers.parseDelayNanos("abc", 1_000_000_000L)).isEqualTo(-1);
        assertThat(CNumbers.parseDelayNanos("10x", 1_000_000_000L)).isEqualTo(-1);
        assertThat(CNumbers.parseDelayNanos("", 1_000_000_000L)).isEqualTo(-1);
        assertThat(CNumbers.parseDelayNanos("99999999999999999999d", 1_000_000_000L)).isEqualTo(-1);
    }

    @Test
    void commandsAndWords() {
        assertThat(CommandLine.commands("a;b;c")).containsExactly("a", "b", "c");
        assertThat(CommandLine.commands("a\\;b;c")).containsExactly("a\\;b", "c");
        assertThat(CommandLine.commands("a;")).containsExactly("a");
        assertThat(CommandLine.commands("")).containsExactly("");
        assertThat(CommandLine.commands("a;;b")).containsExactly("a", "", "b");
        assertThat(CommandLine.words("  show \t cli   level  ")).containsExactly("show", "cli", "level");
        assertThat(CommandLine.words("show sess 0x1\\;show cli")).containsExactly("show", "sess", "0x1;show", "cli");
        assertThat(CommandLine.words("a\\ b c\\\\d \\x")).containsExactly("a b", "c\\d", "x");
        assertThat(CommandLine.words("a \\")).containsExactly("a");
        assertThat(CommandLine.words("")).isEmpty();
        assertThat(CommandLine.words("x ".repeat(100))).hasSize(CommandLine.MAX_ARGS + 1);
    }

    @Test
    void lineDecoderFramesAndLimits() {
        EmbeddedChannel ch = new EmbeddedChannel(new CliLineDecoder());
        ch.writeInbound(Unpooled.copiedBuffer("show cli", StandardCharsets.UTF_8));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.copiedBuffer(" level\nquit\r\npartial", StandardCharsets.UTF_8));
        assertThat((Object) ch.readInbound()).isEqualTo("show cli level");
        assertThat((Object) ch.readInbound()).isEqualTo("quit\r");
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.copiedBuffer("x".repeat(CliLineDecoder.MAX_LINE), StandardCharsets.UTF_8));
        assertThat((Object) ch.readInbound()).isSameAs(CliLineDecoder.TOO_LONG);
        ch.writeInbound(Unpooled.copiedBuffer("more\n", StandardCharsets.UTF_8));
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void lineDecoderAcceptsExactlyTheLimit() {
        EmbeddedChannel ch = new EmbeddedChannel(new CliLineDecoder());
        String line = "y".repeat(CliLineDecoder.MAX_LINE - 1);
        ch.writeInbound(Unpooled.copiedBuffer(line + "\n", StandardCharsets.UTF_8));
        assertThat((Object) ch.readInbound()).isEqualTo(line);
        ch.finish();
    }

    @Test
    void epochsCountDumpsStartedBeforeASession() {
        DumpEpochs e = new DumpEpochs();
        assertThat(e.start(3, 1)).isEqualTo(0);   // dump 0 sees sessions 1..3
        assertThat(e.start(3, 1)).isEqualTo(1);   // dump 1, nothing new
        assertThat(e.start(5, 1)).isEqualTo(2);   // dump 2 sees 4 and 5
        assertThat(e.epochOf(1)).isEqualTo(0);
        assertThat(e.epochOf(3)).isEqualTo(0);
        assertThat(e.epochOf(4)).isEqualTo(2);
        assertThat(e.epochOf(6)).isEqualTo(3);
        for (int i = 0; i < 1000; i++) {
            e.start(6 + i, 6 + i); // sessions come and go; old boundaries are forgotten
        }
        assertThat(e.epochOf(1005)).isEqualTo(3 + 999);
        assertThat(e.epochOf(2000)).isEqualTo(1003);
    }

    @Test
    void networks() {
        Lookup.Network n = Lookup.Network.parse("127.0.0.0/8");
        assertThat(n.contains(new java.net.InetSocketAddress("127.1.2.3", 1))).isTrue();
        assertThat(n.contains(new java.net.InetSocketAddress("10.1.2.3", 1))).isFalse();
        assertThat(Lookup.Network.parse("10.0.0.1").contains(new java.net.InetSocketAddress("10.0.0.1", 9))).isTrue();
        assertThat(Lookup.Network.parse("::1").contains(new java.net.InetSocketAddress("::1", 9))).isTrue();
        assertThat(Lookup.Network.parse("localhost")).isNull();
        assertThat(Lookup.Network.parse("10.0.0.0/33")).isNull();
        assertThat(Lookup.Network.parse("abc")).isNull();
        assertThat(List.of()).isEmpty();
    }
}
