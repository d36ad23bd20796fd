package dev.patchbay.admin.runtime;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;

/**
 * What must hold for any input to the CLI's parser: framing never throws and never yields a line
 * over the limit; splitting never yields more than 65 words or an empty word; the usage
 * generator answers every word list with a complete message.
 */
final class ParserProperty {
    private static final Keywords KEYWORDS = Commands.build(new DumpEpochs());

    private ParserProperty() {}

    static void check(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new CliLineDecoder());
        ByteBuf buf = Unpooled.wrappedBuffer(input);
        ch.writeInbound(buf);
        Object msg;
        while ((msg = ch.readInbound()) != null) {
            if (msg == CliLineDecoder.TOO_LONG) {
                continue;
            }
            String line = (String) msg;
            if (line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > CliLineDecoder.MAX_LINE * 3) {
                throw new AssertionError("line longer than the limit");
            }
            for (String command : CommandLine.commands(line)) {
                List<String> words = CommandLine.words(command);
                if (words.size() > CommandLine.MAX_ARGS + 1) {
                    throw new AssertionError("too many words: " + words.size());
                }
                for (String w : words) {
                    if (w.isEmpty()) {
                        throw new AssertionError("empty word in " + command);
                    }
                }
                if (!words.isEmpty() && KEYWORDS.find(words) == null) {
                    String usage = KEYWORDS.usage(words);
                    if (!usage.endsWith(Keywords.TRAILER)) {
                        throw new AssertionError("incomplete usage for " + words);
                    }
                }
                if (!words.isEmpty()) {
                    CNumbers.strtoul(words.get(words.size() - 1));
                    CNumbers.parseDelayNanos(words.get(0), 1_000_000_000L);
                    Lookup.Network.parse(words.get(words.size() - 1).replaceAll("[^0-9a-fA-F:./]", ""));
                }
            }
        }
        ch.finishAndReleaseAll();
    }
}
